"""Remove page clutter from a scraped article by general rules, keeping every fact-bearing paragraph.

Rules, applied to paragraphs (a block of lines, wrapped lines joined):
- counters ("Lượt xem: 503", "Views Today : 66", "Đang online: 16") and bare number lines;
- navigation and widget words alone on a line ("Bình luận", "Đăng nhập", "Chia sẻ :");
- "related articles" headings and the headline list under them;
- download notices ("… tệp đính kèm (Tải về).");
- press licence and copyright lines, and the whole page footer once one of them starts a tail
  made only of short lines (site name, address, phone, e-mail, ads);
- file names and folded slugs of the article's own words ("tao dot pha");
- repeats: a paragraph equal or nearly equal to an earlier heading (an image caption repeating the
  title), the caption line right after such a repeat, and short photo captions whose words all
  occur earlier (a caption line of up to 30 words without a full stop, or a short sentence of at
  most 15 words without numbers).
Short lines that match none of these (bylines such as "Thu Thảo") stay. The result has trimmed
lines, single spaces, and paragraphs separated by one blank line. `clean` is idempotent.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from qa.text import fold, has_diacritics, modern_tones, normalize

_SPACES = re.compile(r"[ \t\f\v]+")
_WORD = re.compile(r"\w+")
_EDGE = re.compile(r"^[\s•·▪►▸»«›‹|*+:=>#~\-–—]+|[\s•·▪►▸»«›‹|*+:=<#~\-–—]+$")
_SENTENCE_END = re.compile(r"[.!?…][\"')\]]*$|\./\.$")

_COUNTER_WORDS = (
    r"(?:so )?luot (?:xem|doc|truy cap|view)|da xem|xem|views?(?: today| yesterday| this (?:week|month"
    r"|year))?|total (?:views?|visits?|visitors?)|visits?(?: today)?|visitors?(?: today| online)?"
    r"|(?:dang )?online|dang truy cap|(?:tong )?(?:so )?(?:luot )?truy cap|hom nay|hom qua|trong tuan"
    r"|tuan (?:nay|truoc)|trong thang|thang (?:nay|truoc)|nam nay|tat ca|khach"
    r"|thanh vien|members?|guests?|hits?|counter")
_COUNTER = re.compile(rf"^(?:{_COUNTER_WORDS})\s*[:=]?\s*[\d.,\s]+(?:luot)?$"
                      rf"|^[\d.,\s]+(?:luot xem|luot truy cap|views?|visits?)$")
_NUMBER_ONLY = re.compile(r"^[\d\s.,:/]+$")

_NAV = {
    "binh luan", "binh luan bai viet", "gui binh luan", "viet binh luan", "y kien ban doc",
    "y kien cua ban", "dang nhap", "dang ky", "dang xuat", "chia se", "chia se bai viet", "share",
    "tweet", "like", "skip to content", "skip to main content", "language", "ngon ngu", "tin tuc",
    "thong ke truy cap", "thong ke", "view counter", "visitor counter", "trang chu", "home",
    "lien he", "in bai viet", "in trang", "print", "ban in", "gui email", "gui bai viet",
    "quay lai", "tro ve", "tro lai", "ve dau trang", "len dau trang", "back to top", "top",
    "xem them", "doc them", "doc tiep", "tim kiem", "search", "menu", "tags", "tag", "tu khoa",
    "facebook", "twitter", "zalo", "youtube", "email", "luu bai viet", "phan hoi", "tra loi",
    "theo doi", "follow", "trang truoc", "trang sau", "co chu", "font size", "nghe doc bai",
    "nghe bai viet", "english", "tieng viet", "rss", "sitemap", "so do trang", "lien ket website",
    "lien ket", "quang cao", "advertisement", "tai ve", "tai xuong", "download", "dong", "close",
    "in", "gui", "danh muc", "chuyen muc", "video", "hinh anh", "thu vien anh",
}
_RELATED = {
    "bai viet cung chuyen muc", "tin cung chuyen muc", "cung chuyen muc", "bai viet lien quan",
    "tin lien quan", "tin khac", "cac tin khac", "bai viet khac", "cac bai viet khac", "tin da dua",
    "bai viet moi", "bai viet moi nhat", "tin moi", "tin moi nhat", "tin moi hon", "tin cu hon",
    "tin bai khac", "tin bai lien quan", "doc nhieu", "xem nhieu", "tin doc nhieu", "tin xem nhieu",
    "doc nhieu nhat", "xem nhieu nhat", "co the ban quan tam", "ban co the quan tam",
    "related posts", "related articles", "recent posts", "latest news", "more news",
}
_DOWNLOAD = re.compile(r"\((?:tai ve|tai xuong|download|xem tai day)\)|(?:tai ve|tai xuong|download)$"
                       r"|(?:tep|file|tap tin|van ban) dinh kem")
_LICENCE = re.compile(r"\d+/gp-|giay phep.*\b(?:btttt|bvhtt|cuc bao chi|thong tin dien tu)|^\(c\)|^©"
                      r"|copyright|ban quyen (?:thuoc|©|\(c\))|cam sao chep|ghi ro nguon"
                      r"|^chiu trach nhiem (?:noi dung|xuat ban|chinh)\b|^(?:pho )?tong bien tap ?:"
                      r"|^co quan chu quan ?:")
_CONTACT = re.compile(r"^(?:dia chi|tru so|dien thoai|dt|tel|fax|email|e-mail|hotline|website"
                      r"|duong day nong)\b")
_SITE = re.compile(r"^(?:bao|tap chi|cong thong tin|trang thong tin|dai phat thanh|dai truyen hinh"
                   r"|truyen hinh|so|uy ban nhan dan|ubnd|van phong)\b")
_FILENAME = re.compile(r"^\S+\.(?:jpe?g|png|gif|webp|bmp|tiff?|svg|pdf|docx?|xlsx?)$"
                       r"|^(?:img|dsc|dscn|dcim|image|photo|anh)[\s_-]?\d+\S*$")
_SLUG = re.compile(r"^[a-z0-9]+(?:[\s_-]+[a-z0-9]+){0,7}$")


def clean(text: str) -> str:
    """Article text without page clutter: trimmed lines, paragraphs separated by a blank line."""
    _bare.cache_clear()  # the caches hold one article's lines at a time
    _is_clutter.cache_clear()
    current = _clean_once(normalize(text))
    for _ in range(8):
        again = _clean_once(current)
        if again == current:
            break
        current = again
    return current


def _clean_once(text: str) -> str:
    blocks = _blocks(text)
    units = [(b, line) for b, lines in enumerate(blocks) for line in lines]
    flat = [line for _, line in units]
    drop = [_is_clutter(line) for line in flat]
    _drop_footer(flat, drop)
    _drop_related_lists(flat, drop)
    _drop_repeats(units, drop)
    return "\n\n".join(line for line, gone in zip(flat, drop, strict=True) if not gone)


def _blocks(text: str) -> list[list[str]]:
    """Blank-line separated blocks of trimmed, space-collapsed lines; wrapped lines joined."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for raw in text.split("\n"):
        line = _SPACES.sub(" ", raw).strip()
        if line:
            current.append(line)
        elif current:
            blocks.append(_join_wrapped(current))
            current = []
    if current:
        blocks.append(_join_wrapped(current))
    return blocks


def _join_wrapped(lines: list[str]) -> list[str]:
    """Join a line with the next when it visibly continues there (comma end, lower-case start).

    Linear in the block: a joined paragraph is kept as a list of pieces, and it is tested as
    clutter only while it is short (every clutter rule but the bare-number ones needs a short
    line, and a join of two lines that are not clutter is not a bare number)."""
    if len(lines) >= 3 and _hard_wrapped(lines) and not any(_is_clutter(x) or _footer_line(x) for x in lines):
        return [" ".join(lines)]
    out: list[list[str]] = [[lines[0]]]
    words = len(_WORD.findall(lines[0]))  # of the paragraph being joined
    clutter: bool | None = None  # of the paragraph being joined, computed when first needed
    for line in lines[1:]:
        prev = out[-1][-1]
        continues = prev[-1] in ",;" or (prev[-1].isalpha() and prev[-1].islower()
                                        and line[0].isalpha() and line[0].islower())
        if continues and clutter is None:
            clutter = _is_clutter(prev)
        line_clutter = _is_clutter(line) if continues and not clutter else None
        if continues and not clutter and not line_clutter:
            out[-1].append(line)
            words += len(_WORD.findall(line))
            clutter = words <= _CLUTTER_WORDS and _is_clutter(" ".join(out[-1]))
        else:
            out.append([line])
            words = len(_WORD.findall(line))
            clutter = line_clutter
    return [" ".join(pieces) for pieces in out]


def _hard_wrapped(lines: list[str]) -> bool:
    """A block typed with hard line breaks: long lines, most not ending a sentence."""
    body = lines[:-1]
    long = sum(1 for line in body if len(line) >= 50)
    open_ended = sum(1 for line in body if not _SENTENCE_END.search(line))
    return long >= 0.8 * len(body) and open_ended >= 0.6 * len(body)


@lru_cache(maxsize=1 << 16)  # each line is looked at by several rules, in each pass of `clean`
def _bare(line: str) -> str:
    """Folded line without bullets and edge punctuation, for matching widget words."""
    return _SPACES.sub(" ", _EDGE.sub("", fold(line))).strip()


def _words(line: str) -> list[str]:
    return _WORD.findall(modern_tones(line.lower()))  # tones move within a word: same as per word


_CLUTTER_WORDS = 40  # the longest line a clutter rule (download notice, licence) can match


@lru_cache(maxsize=1 << 16)
def _is_clutter(line: str) -> bool:
    """Clutter recognisable from the line alone."""
    bare = _bare(line)
    if not any(c.isalnum() for c in bare):
        return True
    if _COUNTER.match(bare) or _NUMBER_ONLY.match(bare) or bare in _NAV:
        return True
    words = len(_WORD.findall(bare))
    if words <= 20 and _DOWNLOAD.search(bare) and not any(c.isdigit() for c in bare):
        return True
    if words <= _CLUTTER_WORDS and _LICENCE.search(bare):
        return True
    return bool(_FILENAME.match(line.strip().lower()))


def _drop_footer(lines: list[str], drop: list[bool]) -> None:
    """Drop the page footer: from a licence/copyright line on, when only short lines follow."""
    short_tail = [True] * (len(lines) + 1)  # short_tail[i]: every line from i on has <= 30 words
    for i in range(len(lines) - 1, -1, -1):
        short_tail[i] = short_tail[i + 1] and len(_WORD.findall(lines[i])) <= 30
    for i, line in enumerate(lines):
        if not short_tail[i + 1] or len(_WORD.findall(line)) > 40 or not _LICENCE.search(_bare(line)):
            continue
        start = i
        while start > 0 and (drop[start - 1] or _footer_line(lines[start - 1])):
            start -= 1
        for j in range(start, len(lines)):
            drop[j] = True
        return


def _footer_line(line: str) -> bool:
    bare = _bare(line)
    short = len(_WORD.findall(bare)) <= 12 and not _SENTENCE_END.search(line)
    return bool(_CONTACT.match(bare)) or (short and bool(_SITE.match(bare)))


def _drop_related_lists(lines: list[str], drop: list[bool]) -> None:
    """Drop a "related articles" heading and the headline-like lines under it."""
    listing = False
    for i, line in enumerate(lines):
        if _bare(line) in _RELATED:
            drop[i] = listing = True
        elif listing:
            if len(_WORD.findall(line)) >= 20 and _SENTENCE_END.search(line):
                listing = False
            else:
                drop[i] = True


def _drop_repeats(units: list[tuple[int, str]], drop: list[bool]) -> None:
    """Drop repeated paragraphs, captions after a repeated heading, slugs and redundant captions."""
    has_marks = any(has_diacritics(line) for _, line in units)
    slugs = _phrase_counts(units, drop) if has_marks else {}
    seen_keys: set[tuple[str, ...]] = set()
    seen_words: set[str] = set()
    headings: list[tuple[tuple[str, ...], set[str]]] = []
    kept = 0
    after_repeat = -1
    for i, (block, line) in enumerate(units):
        if drop[i]:
            continue
        words = _words(line)
        key = tuple(fold(" ".join(words)).split(" ")) if words else ()
        if key in seen_keys or _repeats_heading(line, key, headings):
            drop[i] = True
            after_repeat = block
            continue
        if after_repeat == block and len(words) <= 40:
            drop[i] = True
            continue
        after_repeat = -1
        if has_marks and slugs.get(_slug_phrase(line), 0) >= 2:  # itself and the words it was made from
            drop[i] = True
            continue
        if kept >= 2 and _redundant_caption(line, words, seen_words):
            drop[i] = True
            continue
        seen_keys.add(key)
        seen_words.update(words)
        if _heading_like(line, words):
            headings.append((key, set(key)))
        kept += 1


def _heading_like(line: str, words: list[str]) -> bool:
    return 4 <= len(words) <= 40 and not _SENTENCE_END.search(line)


def _repeats_heading(line: str, key: tuple[str, ...], headings: list[tuple[tuple[str, ...], set[str]]]) -> bool:
    """A heading-like line that is nearly an earlier heading (an image caption repeating a title)."""
    if not _heading_like(line, list(key)):
        return False
    words = set(key)
    for heading, heading_words in headings[:5] + headings[-20:]:  # the title and nearby headings
        n = len(key) + len(heading)
        # Cheap bounds first: SequenceMatcher's ratio is at most 2·min(len)/n and at most
        # 2·(words of the key found in the heading)/n.
        if 2 * min(len(key), len(heading)) < 0.85 * n or 2 * len(key) - 2 * len(words - heading_words) < 0.85 * n:
            continue
        if SequenceMatcher(None, key, heading, autojunk=False).ratio() >= 0.85:
            return True
    return False


def _slug_phrase(line: str) -> tuple[str, ...] | None:
    """The words of a lower-case ASCII line of at most 8 words ("tao dot pha"), else None."""
    if not _SLUG.match(line) or line.count(" ") + 1 > 8:
        return None
    return tuple(_WORD.findall(line.replace("_", " ").replace("-", " ")))


def _phrase_counts(units: list[tuple[int, str]], drop: list[bool]) -> dict[tuple[str, ...], int]:
    """How often each slug-like line's words occur, in order, in the folded words of the kept
    lines: one pass over the words per phrase length, not one scan of the article per line."""
    kept = [line for i, (_, line) in enumerate(units) if not drop[i]]
    wanted = {p for p in map(_slug_phrase, kept) if p}
    if not wanted:
        return {}
    vocab = [w for line in kept for w in _WORD.findall(fold(line))]
    counts = dict.fromkeys(wanted, 0)
    lengths: dict[str, set[int]] = {}
    for p in wanted:
        lengths.setdefault(p[0], set()).add(len(p))
    for i, w in enumerate(vocab):
        for n in lengths.get(w, ()):
            gram = tuple(vocab[i:i + n])
            if gram in counts:
                counts[gram] += 1
    return counts


def _redundant_caption(line: str, words: list[str], seen: set[str]) -> bool:
    """A short photo caption that adds nothing: (almost) all of its words occurred before."""
    if not 4 <= len(words) <= 30 or line.endswith(":"):
        return False
    sentence = _SENTENCE_END.search(line) is not None
    if sentence and (len(words) > 15 or any(c.isdigit() for c in line)):
        return False  # a sentence with numbers is content, even when it repeats them
    missing = [w for w in words if w not in seen]
    if any(any(c.isdigit() for c in w) for w in missing):
        return False
    return len(missing) <= (0 if sentence else len(words) // 5)
