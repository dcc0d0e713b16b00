"""Vietnamese text helpers (pure functions): normalisation, diacritic folding, lexical tokens."""

from __future__ import annotations

import re
import unicodedata

# Characters that render as white space or nothing; mapped once so offsets stay meaningful.
_SPACE_LIKE = dict.fromkeys(map(ord, "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"), " ")
# Invisible inside a word (they would split or hide it from search): zero-width spaces and joiners,
# soft hyphen, LRM/RLM and the Arabic letter mark, bidi embeddings/overrides/isolates, word joiner
# and invisible operators, CGJ, variation selectors, Mongolian and Hangul fillers, Khmer inherent
# vowels, the blank braille pattern, musical formatting and tag characters.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0x2800, 0x2800), (0x3164, 0x3164), (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0),
    (0x1D173, 0x1D17A), (0xE0000, 0xE007F), (0xE0100, 0xE01EF),
)
INVISIBLE = frozenset(chr(c) for a, b in _INVISIBLE_RANGES for c in range(a, b + 1))
_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE), None)
_QUOTES = {ord("\u201c"): '"', ord("\u201d"): '"', ord("\u2018"): "'", ord("\u2019"): "'"}
_TRANSLATE = {**_SPACE_LIKE, **_INVISIBLE, **_QUOTES, ord("\r"): None}


_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"
                          + "".join(map(re.escape, sorted(INVISIBLE))) + "]")


def _escape(m: re.Match) -> str:
    cp = ord(m.group(0))
    if 0xDC80 <= cp <= 0xDCFF:  # a byte that was not UTF-8 in a file name (surrogateescape)
        return f"\\x{cp - 0xDC00:02x}"
    return ascii(m.group(0))[1:-1]


def printable(text: str, keep: str = "") -> str:
    """The text with control, invisible, bidi and line-separator characters and undecodable bytes
    written as escapes ("a\nb" → "a\\nb"): safe to show on one line of a terminal or a log.
    Characters in `keep` (say "\n\t" for a whole article) stay as they are."""
    return _UNPRINTABLE.sub(lambda m: m.group(0) if m.group(0) in keep else _escape(m), text)


def normalize(text: str) -> str:
    """NFC, one kind of space, straight quotes, no invisible characters, no CR. Idempotent."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).translate(_TRANSLATE))


def _fold_table() -> dict[int, str | None]:
    table: dict[int, str | None] = {ord("đ"): "d", ord("Đ"): "D"}
    for cp in [*range(0xC0, 0x250), *range(0x1E00, 0x1F00)]:
        base = "".join(c for c in unicodedata.normalize("NFD", chr(cp)) if not unicodedata.combining(c))
        if base and base != chr(cp):
            table[cp] = base
    table.update(dict.fromkeys(range(0x300, 0x370)))  # stray combining marks (decomposed input)
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics ("Tỉnh Hà Nam" → "tinh ha nam")."""
    return text.translate(_FOLD).lower()


def has_diacritics(text: str) -> bool:
    """True if the text carries any Vietnamese diacritic (so it was not typed folded)."""
    return fold(text) != text.lower()


# Old ("hoà", "thuỷ") and new ("hòa", "thủy") tone placement: map the old to the new.
_TONES = "\u0300\u0301\u0309\u0303\u0323"  # grave, acute, hook, tilde, dot below


def _tone_map() -> dict[str, str]:
    pairs = {}
    for tone in _TONES:
        for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
            old = unicodedata.normalize("NFC", first + second + tone)
            new = unicodedata.normalize("NFC", first + tone + second)
            pairs[old] = new
    return pairs


_TONE_PAIRS = _tone_map()
_TONE_RE = re.compile("(?<![qgQG])(" + "|".join(map(re.escape, _TONE_PAIRS)) + r")(?!\w)")


def modern_tones(word: str) -> str:
    """Move the tone mark to the new-style position in "oa", "oe", "uy" endings ("thuỷ" → "thủy")."""
    return _TONE_RE.sub(lambda m: _TONE_PAIRS[m.group(1)], word)


# A code such as 57-NQ/TU, 61/2018/NĐ-CP, 60/63, 15/9/2021, 43,285, 5.835: kept whole and split.
_CODE = r"\w+(?:[/\-.,]\w+)+"
_TOKEN_RE = re.compile(rf"(?:{_CODE})|\w+")
_CODE_GROUP_RE = re.compile(rf"({_CODE})|\w+")
_PART_RE = re.compile(r"[/\-.,]")


def find_word(text: str, phrase: str) -> re.Match | None:
    """Where the phrase stands in the text as whole words (not inside a longer word), or None."""
    return re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text)


def _strip_zeros(part: str) -> str:
    return part.lstrip("0") or "0" if part.isdigit() else part


def words(text: str) -> list[str]:
    """Surface tokens in order: lower-cased syllables (one-letter ones kept) and whole codes.

    Syllables get new-style tones; codes stay as typed. The tones are moved in one pass over the
    text: a replacement keeps the length (two letters for two letters), so both texts split into
    the same tokens."""
    lowered = normalize(text).lower()
    toned = modern_tones(lowered)
    if toned == lowered or not _PART_RE.search(lowered):  # no code has a moved tone: one plain scan
        return [_strip_zeros(tok) for tok in _TOKEN_RE.findall(toned)]
    return [lowered[m.start():m.end()] if m.group(1) else _strip_zeros(m.group(0))
            for m in _CODE_GROUP_RE.finditer(toned)]


def _with_parts(seq: list[str]) -> list[str]:
    out: list[str] = []
    for tok in seq:
        out.append(tok)
        if _PART_RE.search(tok):
            out.extend(_strip_zeros(p) for p in _PART_RE.split(tok) if p)
    return out


def tokens(text: str) -> list[str]:
    """Lexical tokens: the words, with codes also split into their parts.

    "Nghị quyết 57-NQ/TU" → ["nghị", "quyết", "57-nq/tu", "57", "nq", "tu"].
    Numbers lose leading zeros in their parts ("02/08" → "02/08", "2", "8").
    """
    return _with_parts(words(text))


def bigrams(seq: list[str]) -> list[str]:
    """Adjacent pairs joined by "_" ("chủ", "tịch" → "chủ_tịch"): rewards phrase matches in BM25."""
    return [f"{a}_{b}" for a, b in zip(seq, seq[1:])]


def terms(text: str) -> list[str]:
    """What the lexical index stores for a text: tokens plus word bigrams."""
    seq = words(text)
    return _with_parts(seq) + bigrams(seq)


def folded_tokens(text: str) -> list[str]:
    """The same tokens with diacritics removed, for questions typed without them."""
    return [fold(t) for t in tokens(text)]


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+(?=[\"'(\[]?[A-ZĐÀ-Ỹ0-9])|\n+")


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of text[start:end], trimmed of surrounding space."""
    end = len(text) if end is None else end
    spans = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        spans.append((pos, m.start()))
        pos = m.end()
    spans.append((pos, end))
    out = []
    for a, b in spans:
        seg = text[a:b]
        lead = len(seg) - len(seg.lstrip())
        trail = len(seg.rstrip())
        if trail > lead:
            out.append((a + lead, a + trail))
    return out


def display_date(iso: str | None) -> str:
    """A stored date as Vietnamese readers write it: "2021-04-20" → "20/04/2021", "--06-22" → "22/06"."""
    if not iso:
        return ""
    y, m, d = iso.split("-")[-3:] if not iso.startswith("--") else ("", *iso[2:].split("-"))
    return f"{d}/{m}/{y}" if y else f"{d}/{m}"
