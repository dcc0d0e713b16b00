"""The register of cited documents: which nghị quyết, quyết định, kết luận… each article mentions.

Extraction reads a document number (metadata.DOC_NUMBER: `57-NQ/TU`, `15/2020/NĐ-CP`,
`12/KH-UBND`) and around it, when the text states them:
- the kind, written just before the number ("Nghị quyết số 57-NQ/TU", "Kết luận 436-KL/TU",
  "Kế hoạch của UBND tỉnh số 12/KH-UBND"), else read off the number's type letters (NQ, QĐ, KH…);
- the date right after it ("…, ngày 18/1/2013", "ban hành ngày 12 tháng 3 năm 2021");
- the issuing body after "của" ("của Ban Thường vụ Tỉnh ủy"), else the number's issuer letters
  (TU → Tỉnh ủy, CP → Chính phủ, UBND);
- the subject after "về" / "về việc", up to the end of the clause (". ", ";", a closing
  parenthesis, a line end, or the next cited document).
Every mention keeps exact offsets into the article's text: `text[number_start:number_end]` is the
number and `text[start:end]` spans the whole mention (kind … subject). An article that gives the
whole number once often cites the document again by kind and number alone ("Nghị quyết số 57"):
those are mentions too, marked `short` (their number span holds "57").

The register lives in the `mentions` table of each generation's SQLite file, written by the same
IndexWriter calls that add and remove articles, so it always describes exactly the articles of
its generation. `register_info` records the rules' version: a writer that finds another version
re-extracts every stored article before it commits.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections import Counter
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace

from .errors import IndexMismatch, InputError
from .metadata import DATE, DOC_NUMBER, LICENCE, iso
from .text import fold

log = logging.getLogger(__name__)

RULES = "register/1"  # bump when extraction changes: writers then re-extract the stored articles

# Kinds of document as articles write them, with the type letters of their numbers.
KINDS: dict[str, tuple[str, ...]] = {
    "Nghị quyết liên tịch": ("NQLT",),
    "Nghị quyết": ("NQ",),
    "Quyết định": ("QĐ",),
    "Kết luận": ("KL",),
    "Kế hoạch": ("KH",),
    "Chỉ thị": ("CT",),
    "Công văn": ("CV",),
    "Thông tư liên tịch": ("TTLT",),
    "Thông tư": ("TT",),
    "Nghị định": ("NĐ",),
    "Thông báo": ("TB",),
    "Hướng dẫn": ("HD",),
    "Quy định": ("QĐi",),
    "Quy chế": ("QC",),
    "Đề án": ("ĐA",),
    "Chương trình": ("CTr",),
    "Báo cáo": ("BC",),
    "Tờ trình": ("TTr",),
    "Pháp lệnh": ("PL",),
    "Luật": (),
    "Công điện": ("CĐ",),
    "Văn bản": (),
}
_BY_LETTERS = {letters: kind for kind, codes in KINDS.items() for letters in codes}
# Issuer letters of a number (the part after "/" in 57-NQ/TU, after "-" in 15/2020/NĐ-CP).
ISSUERS = {
    "TU": "Tỉnh ủy",
    "TW": "Trung ương",
    "CP": "Chính phủ",
    "TTg": "Thủ tướng Chính phủ",
    "HU": "Huyện ủy",
    "ĐU": "Đảng ủy",
    "QH": "Quốc hội",
    "UBTVQH": "Ủy ban Thường vụ Quốc hội",
}

# Words a question uses for a kind ("NQ 57", "resolution 57"), folded; the register's kinds among them.
DOC_KINDS = (
    "nghị quyết",
    "quyết định",
    "kết luận",
    "chỉ thị",
    "kế hoạch",
    "công văn",
    "nghị định",
    "thông tư",
    "nq",
    "qđ",
    "kl",
    "ct",
    "resolution",
    "decision",
    "conclusion",
    "directive",
    "decree",
    "plan",
)
_KIND_OF_WORD = {
    **{fold(k): k for k in KINDS},
    "nq": "Nghị quyết",
    "qd": "Quyết định",
    "kl": "Kết luận",
    "ct": "Chỉ thị",
    "resolution": "Nghị quyết",
    "decision": "Quyết định",
    "conclusion": "Kết luận",
    "directive": "Chỉ thị",
    "decree": "Nghị định",
    "plan": "Kế hoạch",
}
DOC_KIND = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(fold(k)) for k in DOC_KINDS) + r")(?!\w)")
# The kind a question asks for: "which directive", "chỉ thị nào", "nghị quyết số mấy" (folded, lower case).
_KIND_WORDS_ASKED = "|".join(re.escape(w) for w in sorted(_KIND_OF_WORD, key=len, reverse=True))
_ASKED_KIND = re.compile(rf"\b(?:which|what)\s+({_KIND_WORDS_ASKED})\b"
                         rf"|(?<!\w)({_KIND_WORDS_ASKED})(?:\s+so)?\s+(?:nao|gi|may|bao nhieu)(?!\w)")
# What stands between a kind word and a document's number alone, on folded text: "nghị quyết (số) 57", "NQ no. 57".
NUMBER_GAP = r"\s+(?:so\s+|no\.?\s*)?"
# "Nghị quyết 57", "NQ 57", "nghị quyết số 57": a document by its number alone (on folded text).
DOC_BY_NUMBER = re.compile(DOC_KIND.pattern + NUMBER_GAP + r"(\d{1,5})(?![\w/-])")

_KIND_WORDS = "|".join(re.escape(k) for k in sorted(KINDS, key=len, reverse=True))
_KIND_WORD = re.compile(rf"(?<!\w)(?:{_KIND_WORDS})(?!\w)", re.I)
# What may stand between the kind and the number: "số", or a few words then "số" ("Kế hoạch của UBND
# tỉnh số 12/KH-UBND").
_KIND_GAP = re.compile(r"(?:[ \t]+số)?[ \t]*:?[ \t]*|(?:[ \t]+[\w–-]+){1,4}?[ \t]+số[ \t]*:?[ \t]*", re.I)
_SEP = r"[ \t]*,?[ \t]*\(?[ \t]*"
_ISSUED = r"(?:ban[ \t]+hành|ký|kí|thông[ \t]+qua)"  # how a document comes to be, as its date says
_DATE_AFTER = re.compile(
    rf"{_SEP}(?:(?:được[ \t]+)?{_ISSUED}[ \t]+)?(?:vào[ \t]+)?ngày[ \t]+(?:{DATE}(?![ \t]*[/.-]?\d)"
    r"|(\d{1,2})[ \t]+tháng[ \t]+(\d{1,2})(?:[ \t]+năm[ \t]+(\d{4}))?)",
    re.I,
)
_OF = re.compile(rf"{_SEP}(?:do[ \t]+|của[ \t]+)", re.I)
_ABOUT = re.compile(rf"{_SEP}(?:về[ \t]+việc|về|v/v)[ \t]+(?=\S)", re.I)
# Lower-case words that go on an issuing body's name ("Ban Chấp hành Đảng bộ tỉnh", "UBND tỉnh").
_ISSUER_WORDS = frozenset(
    "tỉnh thành phố huyện xã thị quận phường đảng bộ hành vụ trực dân nhân ủy uỷ ban thường chấp chính phủ quốc hội"
    " đồng trung ương tướng trị thư khóa khoá cán sự đoàn mặt trận tổ".split()
)
_CLAUSE_END = re.compile(r"[;!?\n)]|\.(?=\s|$)|:\s")
SUBJECT_CHARS = 400  # a subject is cut at a word boundary this far from its start
_TRAILING = re.compile(r"(?:[\s,–-]|\b(?:và|cùng|tại|của|với|cũng như)\b)+$")


@dataclass(frozen=True)
class Mention:
    """One citation of a document in an article's text (offsets into that text)."""

    number: str
    kind: str | None
    date: str | None  # ISO, "--MM-DD" without a year
    issuer: str | None
    subject: str | None
    start: int
    end: int
    number_start: int
    number_end: int
    short: bool = False  # cited by kind and number alone ("Nghị quyết số 57") after the whole number


def key(number: str) -> str:
    """The register's key of a number: case, diacritics (Đ/D) and spaces do not matter."""
    return re.sub(r"\s+", "", fold(number)).upper()


def _letters(number: str) -> tuple[str | None, str | None]:
    """(type letters, issuer letters) of a number: 57-NQ/TU → (NQ, TU); 15/2020/NĐ-CP → (NĐ, CP);
    12/KH-UBND → (KH, UBND); 123/UBND-KT → (None, UBND)."""
    if "-" in number.split("/", 1)[0]:  # Party style: 57-NQ/TU
        head, _, issuer = number.partition("/")
        return head.split("-", 1)[1], issuer or None
    parts = [p for p in number.split("/")[1:] if not p.isdigit()]
    if not parts:
        return None, None
    pieces = parts[0].split("-")
    if pieces[0] in _BY_LETTERS:
        return pieces[0], pieces[1] if len(pieces) > 1 else None
    return None, pieces[0]


def _issuer_from_letters(letters: str | None) -> str | None:
    if not letters:
        return None
    bare = re.sub(r"\d+$", "", letters)
    return ISSUERS.get(bare, letters)


def asked_kind(question: str) -> str | None:
    """The kind of document a question asks for ("Which directive…?" → Chỉ thị), or None."""
    m = _ASKED_KIND.search(fold(question))
    kind = _KIND_OF_WORD[m.group(1) or m.group(2)] if m else None
    return None if kind == "Văn bản" else kind  # "văn bản nào": any kind


def asked_kind_words(folded: str) -> list[tuple[int, int]]:
    """(start, end) of each document kind word in a folded, lower-case question that is what it asks
    for ("kết luận nào", "which conclusion"), not a document it speaks of."""
    return [m.span(1) if m.group(1) else m.span(2) for m in _ASKED_KIND.finditer(folded)]


def kind_spans(text: str, kind: str) -> set[tuple[int, int]]:
    """(start, end) of each number in `text` of a document of this kind."""
    return {(m.number_start, m.number_end) for m in extract(text) if m.kind == kind}


def _kind_name(word: str) -> str:
    folded = fold(word).lower()
    return next(k for k in KINDS if fold(k).lower() == folded)


def _kind_before(text: str, at: int, lettered: str | None) -> re.Match | None:
    """The kind word written before the number at `at`, among those in the 60 characters before it
    with only "số" or a few other words between: the last that agrees with the kind of the
    number's type letters (`lettered`: "Thông báo kết luận số 245-TB/TU" is a Thông báo), else the last."""
    fitting = [m for m in _KIND_WORD.finditer(text, max(0, at - 60), at) if _KIND_GAP.fullmatch(text, m.end(), at)]
    agreeing = [m for m in fitting if _kind_name(m.group(0)) == lettered]
    return (agreeing or fitting or [None])[-1]


def _issuer_at(text: str, pos: int) -> tuple[str | None, int]:
    """The issuing body's name starting at pos (a capitalised first word), and where it ends."""
    words: list[str] = []
    end = pos
    for m in re.finditer(r"[^\s,;.()“”\"]+", text[pos : pos + 160]):
        word = m.group(0)
        if text[end : pos + m.start()].strip(" \t"):  # a comma, bracket or line end between: the name ended
            break
        first = not words
        roman = re.fullmatch(r"[IVXL]+", word) and words and fold(words[-1]) in ("khoa",)
        if first and not word[:1].isupper():
            break
        if not first and not (word[:1].isupper() or word.lower() in _ISSUER_WORDS or roman):
            break
        if any(c.isdigit() for c in word):
            break
        words.append(word)
        end = pos + m.end()
        if len(words) == 10:
            break
    return (" ".join(words), end) if words else (None, pos)


def _subject_at(text: str, pos: int, limit: int) -> tuple[str | None, int]:
    """The subject from pos to the clause end (at most `limit`), trimmed; and where it ends."""
    stop = _CLAUSE_END.search(text, pos, limit)
    end = stop.start() if stop else limit
    if end - pos > SUBJECT_CHARS:
        cut = text.rfind(" ", pos, pos + SUBJECT_CHARS)
        end = cut if cut > pos else pos + SUBJECT_CHARS
    trail = _TRAILING.search(text, pos, end)
    if trail:
        end = trail.start()
    subject = text[pos:end]
    return (subject, end) if len(subject.split()) >= 2 else (None, pos)


_LIST_GAP = re.compile(r"[ \t]*(?:,|và|,[ \t]*và|hoặc)[ \t]*")
_SHORT = re.compile(rf"(?<!\w)({_KIND_WORDS})(?:[ \t]+số)?[ \t]+(\d{{1,5}})(?![\w/-]|[.,]\d)", re.I)


def _short_mentions(text: str, full: list[Mention]) -> list[Mention]:
    """ "Nghị quyết số 57" in an article that also writes "Nghị quyết số 57-NQ/TU": the same document,
    when exactly one cited document has that kind and leading number."""
    numbers: dict[tuple[str, int], set[str]] = {}
    for m in full:
        if m.kind:
            numbers.setdefault((m.kind, int(re.match(r"\d+", m.number).group(0))), set()).add(m.number)
    out = []
    for s in _SHORT.finditer(text) if numbers else ():
        found = numbers.get((_kind_name(s.group(1)), int(s.group(2))), set())
        if len({key(n) for n in found}) == 1:
            out.append(
                Mention(
                    min(found),
                    _kind_name(s.group(1)),
                    None,
                    None,
                    None,
                    s.start(),
                    s.end(),
                    s.start(2),
                    s.end(2),
                    short=True,
                )
            )
    return out


# The words of _ISSUED (folded) and their English: a question holding one asks when a document was issued.
_ISSUE_WORDS = tuple(frozenset(w.split()) for w in (
    "ban hanh", "ky", "ki", "thong qua", "issue", "issued", "sign", "signed", "adopt", "adopted", "passed",
    "enacted", "promulgated"))


def asks_issue(words: Collection[str]) -> bool:
    """Whether a question (its folded words) asks when a document was issued, signed or adopted."""
    have = set(words)
    return any(w <= have for w in _ISSUE_WORDS)


def own_dates(text: str) -> list[tuple[int, int]]:
    """Where the text gives a cited document's own words after its number: its date ("Nghị quyết số
    57-NQ/TU, ngày 18/1/2013"), when it was issued, and its subject ("… về cải cách hành chính đến năm
    2015"); a date in them is not when what the text tells of happened."""
    return [(m.number_end, m.end) for m in extract(text) if not m.short]


def extract(text: str) -> tuple[Mention, ...]:
    """Every document the text cites, in order: each whole number (press licences excluded) and each
    later short citation of one ("Nghị quyết số 57")."""
    full = _full_mentions(text)
    return tuple(sorted(full + _short_mentions(text, full), key=lambda m: m.start))


def _full_mentions(text: str) -> list[Mention]:
    found = [m for m in DOC_NUMBER.finditer(text) if not LICENCE.search(m.group(1))]
    starts = []
    for m in found:
        before = _kind_before(text, m.start(), _BY_LETTERS.get(_letters(m.group(1))[0] or ""))
        starts.append((before, before.start() if before else m.start()))
    out = []
    stated: list[bool] = []  # whether each mention's text states its date, issuer or subject
    for i, m in enumerate(found):
        number = m.group(1)
        before, start = starts[i]
        limit = starts[i + 1][1] if i + 1 < len(found) else len(text)
        limit = min(limit, m.end() + 600)
        letters, issuer_letters = _letters(number)
        kind = _kind_name(before.group(0)) if before else _BY_LETTERS.get(letters or "")
        date = issuer = subject = None
        pos = end = m.end()
        while pos < limit:  # date, issuer and subject in any order, each at most once; the subject ends it
            if date is None and (d := _DATE_AFTER.match(text, pos, limit)):
                g = d.groups()
                date = iso(*g[:3]) if g[0] else iso(*g[3:])
                if date is None:
                    break
                pos = end = d.end()
            elif issuer is None and (o := _OF.match(text, pos, limit)):
                name, stop = _issuer_at(text, o.end())
                if name is None:
                    break
                issuer, pos = name, stop
                end = stop
            elif s := _ABOUT.match(text, pos, limit):
                subject, stop = _subject_at(text, s.end(), limit)
                if subject is not None:
                    end = stop
                break
            else:
                break
        stated.append(bool(date or issuer or subject))
        out.append(
            Mention(
                number,
                kind,
                date,
                issuer or _issuer_from_letters(issuer_letters),
                subject,
                start,
                end,
                m.start(),
                m.end(),
            )
        )
    # "Quyết định số 456-QĐ/TU và 457-QĐ/TU, ngày 2/11/2016 của …": what follows the last of a list
    # of numbers of one kind is said of each of them.
    for i in range(len(out) - 2, -1, -1):
        a, b = out[i], out[i + 1]
        if not stated[i] and stated[i + 1] and a.kind == b.kind and _LIST_GAP.fullmatch(text, a.end, b.start):
            out[i] = replace(a, date=b.date, issuer=b.issuer, subject=b.subject)
            stated[i] = True
    return out


# -- storage -------------------------------------------------------------------------------------
SCHEMA = """
CREATE TABLE IF NOT EXISTS mentions (
  article_id TEXT NOT NULL, key TEXT NOT NULL, number TEXT NOT NULL, kind TEXT, date TEXT, issuer TEXT,
  subject TEXT, start INTEGER NOT NULL, "end" INTEGER NOT NULL, number_start INTEGER NOT NULL,
  number_end INTEGER NOT NULL, short INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS mentions_key ON mentions(key);
CREATE INDEX IF NOT EXISTS mentions_article ON mentions(article_id);
CREATE TABLE IF NOT EXISTS register_info (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def store(db: sqlite3.Connection, article_id: str, text: str) -> int:
    """Record the documents an article cites; returns how many mentions."""
    rows = [
        (
            article_id,
            key(m.number),
            m.number,
            m.kind,
            m.date,
            m.issuer,
            m.subject,
            m.start,
            m.end,
            m.number_start,
            m.number_end,
            int(m.short),
        )
        for m in extract(text)
    ]
    db.executemany(
        'INSERT INTO mentions(article_id, key, number, kind, date, issuer, subject, start, "end", '
        "number_start, number_end, short) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    return len(rows)


def forget(db: sqlite3.Connection, article_id: str) -> None:
    db.execute("DELETE FROM mentions WHERE article_id = ?", (article_id,))


def prepare(db: sqlite3.Connection) -> bool:
    """Create the register's tables in a writer's copy; re-extract every stored article when the
    register is missing or was made by other rules. True when that changed the copy."""
    db.executescript(SCHEMA)
    row = db.execute("SELECT value FROM register_info WHERE name = 'rules'").fetchone()
    if row and row[0] == RULES:
        return False
    db.execute("DELETE FROM mentions")
    n = 0
    for article_id, text in db.execute("SELECT id, text FROM articles").fetchall():
        store(db, article_id, text)
        n += 1
    db.execute("INSERT OR REPLACE INTO register_info(name, value) VALUES ('rules', ?)", (RULES,))
    if n:
        log.warning("Re-extracted the document register from %d stored articles (%s).", n, RULES)
    return n > 0


# -- queries -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Document:
    """A document of the register, with what its mentions state most often."""

    number: str
    kind: str | None
    date: str | None
    issuer: str | None
    subject: str | None
    articles: int
    mentions: int

    def to_json(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Reference:
    """One mention of a document, with its article and the passage (chunk) that holds it."""

    article_id: str
    file: str
    title: str
    article_date: str | None
    start: int
    end: int
    number_start: int
    number_end: int
    text: str  # article.text[start:end]
    passage: dict  # {"ordinal", "start", "end", "text"}: the first chunk holding the number
    short: bool = False  # cited by kind and number alone ("Nghị quyết số 57"): number_start:number_end is "57"

    def to_json(self) -> dict:
        return asdict(self)


def _missing_register(exc: sqlite3.OperationalError, folder) -> IndexMismatch | None:
    if "no such table" not in str(exc):
        return None
    return IndexMismatch(
        f"The index in {folder}/ was built before the document register existed; add it with "
        "`qa ingest seeds/` (any folder: the register is rebuilt from the stored articles).",
        "Chỉ mục chưa có sổ văn bản; quản trị viên cần chạy lại lệnh `qa ingest`.",
    )


def _rows(db: sqlite3.Connection, folder, sql: str, args=()) -> list[sqlite3.Row]:
    try:
        cur = db.execute(sql, args)
        cur.row_factory = sqlite3.Row
        return cur.fetchall()
    except sqlite3.OperationalError as exc:
        raise (_missing_register(exc, folder) or exc) from exc


def _most_common(values: list[str | None]) -> str | None:
    """The value stated most often (the first stated on a tie), None when none is stated."""
    counts = Counter(v for v in values if v)
    return max(counts, key=lambda v: (counts[v], -values.index(v))) if counts else None


def _natural(number: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", key(number)) if p)


def _documents(rows: list[sqlite3.Row]) -> dict[str, Document]:
    groups: dict[str, list[sqlite3.Row]] = {}
    for r in rows:
        groups.setdefault(r["key"], []).append(r)
    out = {}
    for k, rs in groups.items():
        out[k] = Document(
            _most_common([r["number"] for r in rs]),
            _most_common([r["kind"] for r in rs]),
            _most_common([r["date"] for r in rs]),
            _most_common([r["issuer"] for r in rs]),
            _most_common([r["subject"] for r in rs]),
            len({r["article_id"] for r in rs}),
            len(rs),
        )
    return out


_FIELDS = "m.key, m.number, m.kind, m.date, m.issuer, m.subject, m.article_id"


def documents(db: sqlite3.Connection, folder) -> list[Document]:
    """Every document the indexed articles cite, by number."""
    rows = _rows(db, folder, f"SELECT {_FIELDS} FROM mentions m ORDER BY m.article_id, m.start")
    return sorted(_documents(rows).values(), key=lambda d: _natural(d.number))


def clean_number(number: str) -> str:
    """A number as asked for, or InputError (empty, too long, not text)."""
    number = (number or "").strip()
    if not number or len(number) > 60 or any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF for c in number):
        raise InputError("Give a document number such as 57-NQ/TU.", "Hãy nhập số hiệu văn bản, ví dụ 57-NQ/TU.")
    return number


def document(db: sqlite3.Connection, folder, number: str) -> tuple[Document, list[Reference]]:
    """A document with every mention of it, in article order; InputError when no article cites it."""
    from .store import _article_from_row  # the one reading of an article row

    number = clean_number(number)
    rows = _rows(
        db,
        folder,
        f'SELECT {_FIELDS}, m.start, m."end", m.number_start, m.number_end, m.short FROM mentions m '
        "WHERE m.key = ? ORDER BY m.article_id, m.start",
        (key(number),),
    )
    if not rows:
        shown = number if len(number) <= 40 else number[:40] + "…"
        raise InputError(
            f"No indexed article cites a document numbered {shown!r} (see `qa docs`).",
            f"Không có bài viết nào nhắc đến văn bản số “{shown}”.",
        )
    doc = _documents(rows)[key(number)]
    ids = sorted({r["article_id"] for r in rows})
    marks = ",".join("?" * len(ids))
    arts = {r["id"]: _article_from_row(r) for r in db.execute(f"SELECT * FROM articles WHERE id IN ({marks})", ids)}
    chunks: dict[str, list[tuple]] = {}
    for c in db.execute(
        f'SELECT article_id, ordinal, start, "end", text FROM chunks WHERE article_id IN ({marks}) '
        "ORDER BY article_id, ordinal",
        ids,
    ):
        chunks.setdefault(c[0], []).append(tuple(c)[1:])
    refs = []
    for r in rows:
        art = arts[r["article_id"]]
        holding = next(
            (c for c in chunks.get(art.id, []) if c[1] <= r["number_start"] and r["number_end"] <= c[2]), None
        )
        passage = (
            {"ordinal": holding[0], "start": holding[1], "end": holding[2], "text": holding[3]}
            if holding
            else {"ordinal": None, "start": r["start"], "end": r["end"], "text": art.text[r["start"] : r["end"]]}
        )
        refs.append(
            Reference(
                art.id,
                art.file,
                art.meta.title,
                art.meta.date,
                r["start"],
                r["end"],
                r["number_start"],
                r["number_end"],
                art.text[r["start"] : r["end"]],
                passage,
                bool(r["short"]),
            )
        )
    refs.sort(key=lambda x: (x.article_date or "", x.file, x.start))
    return doc, refs


def document_json(doc: Document, refs: list[Reference]) -> dict:
    """The JSON shape of one document shared by `qa docs NUMBER --json` and GET /api/documents/{number}."""
    return {**doc.to_json(), "references": [r.to_json() for r in refs]}


# -- questions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Named:
    """A document a question names: by its whole number (key), or by number and kind ("Nghị quyết 57")."""

    key: str | None = None
    number: str | None = None
    kind: str | None = None
    surface: str = field(default="", compare=False)  # as the question writes it


def named(question: str) -> tuple[Named, ...]:
    """The documents a question names: whole numbers typed in any case ("57-nq/tu"), or a kind with
    a number ("nghị quyết 57", "NQ 57")."""
    out: list[Named] = []
    upper = question.upper()
    whole = {key(m.group(1)): m.group(1) for m in DOC_NUMBER.finditer(upper) if not LICENCE.search(m.group(1))}
    out += [Named(key=k, surface=surface) for k, surface in whole.items()]
    folded = fold(question)  # NFC text folds letter for letter, so offsets carry over
    for m in DOC_BY_NUMBER.finditer(folded):
        n = m.group(1)
        if not any(k.startswith((f"{n}-", f"{n}/")) for k in whole):
            word = fold(m.group(0)[: m.start(1) - m.start()]).strip()
            word = re.sub(r"\s+(?:so|no\.?)$", "", word)
            out.append(Named(number=n, kind=_KIND_OF_WORD.get(word), surface=question[m.start():m.end()]))
    return tuple(dict.fromkeys(out))


def positions(db: sqlite3.Connection, documents_named: tuple[Named, ...]) -> set[int]:
    """FAISS positions of the passages (chunks) that hold a mention of the named documents.
    An index made before the register existed has none (the question is then searched as before)."""
    if not documents_named:
        return set()
    where, args = [], []
    for d in documents_named:
        if d.key:
            where.append("m.key = ?")
            args.append(d.key)
        else:
            where.append("((m.key LIKE ? OR m.key LIKE ?)" + (" AND m.kind = ?)" if d.kind else ")"))
            args += [f"{d.number}-%", f"{d.number}/%"] + ([d.kind] if d.kind else [])
    sql = (
        "SELECT DISTINCT c.pos FROM mentions m JOIN chunks c ON c.article_id = m.article_id "
        'AND c.start <= m.number_start AND c."end" >= m.number_end WHERE ' + " OR ".join(where)
    )
    try:
        return {r[0] for r in db.execute(sql, args)}
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return set()
        raise


def first(ranked: list[tuple[int, float]], wanted: set[int]) -> list[tuple[int, float]]:
    """The ranking with the wanted positions first (in their own order); a later one's score is
    capped at the lowest wanted score, so scores still fall along the list."""
    if not wanted:
        return ranked
    top = [(p, s) for p, s in ranked if p in wanted]
    if not top:
        return ranked
    floor = min(s for _, s in top)
    return top + [(p, min(s, floor)) for p, s in ranked if p not in wanted]
