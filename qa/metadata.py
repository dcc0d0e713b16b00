"""Read title, date, source, author, provinces, people and document numbers off an article.

Rules:
- title: the first headline-like paragraph of the cleaned text (no final full stop, at most 40
  words), skipping datelines; an ALL-CAPS line directly followed by a sentence-case headline is a
  series banner and gives way to it. Without a headline: the first sentence, shortened.
- date: a dateline in the first lines of the raw text ("Thứ bảy, 16/01/2021"), else the first
  event date in the opening paragraphs ("Sáng 20/4/2021", "Ngày 24/3", "…, ngày 22/4/2021 Hội
  nghị…"), skipping the date of a cited document ("57-NQ/TU, ngày 18/1/2013"). No year → "--MM-DD".
- source: "Nguồn: …" (a URL or domain gives its host), else the site name of the page footer
  ("BÁO HÀ NAM ĐIỆN TỬ" → "Báo Hà Nam điện tử"), else a known agency dateline prefix ("LSO-").
- author: a byline (capitalised names, optional "(affiliation)") among the last paragraphs.
- people: 2–5 capitalised syllables after "đồng chí"/"ông"/"bà" (an office such as "Bí thư Tỉnh
  ủy" may come between), plus the "; Name," items of the same list.
- doc_numbers: codes like 57-NQ/TU, 61/2018/NĐ-CP, 202/2025/QH15; press licences (…/GP-…) excluded.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

from qa import provinces
from qa.records import Metadata
from qa.text import fold

_WORD = re.compile(r"\w+")
_PARA = re.compile(r"\n\s*\n")
_END = re.compile(r"[.!?…][\"')\]]*$|\./\.$")

_DATE = r"(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{4}))?"
_DATELINE = re.compile(
    r"^(?:(?:cập nhật|ngày đăng|đăng ngày|đăng lúc|ngày|posted|published)\s*(?:lúc)?\s*:?\s*)?"
    r"(?:\d{1,2}[:h]\d{2}\s*[,|-]?\s*)?(?:(?:thứ\s+\w+|chủ nhật)\s*[,|-]?\s*)?(?:ngày\s+)?"
    r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d{4})(?:\s*[,|-]?\s*\d{1,2}[:h]\d{2}.*)?$",
    re.I)
_EVENT = re.compile(
    rf"(?:^|(?<=[\s,(–-]))(?:(?:sáng|chiều|tối|trưa|đêm)\s+(?:nay\s+)?(?:ngày\s+)?|ngày\s+){_DATE}"
    r"(?!\s*[/.-]?\d)|(?:^|(?<=[\s,(–-]))ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s+năm\s+(\d{4}))?",
    re.I)
_CITED_DOC = re.compile(r"\d+[-/][A-ZĐ][\w/-]*\s*,?\s*$|\b(?:ký|ban hành|số)\s*$")

# [ \t] rather than \s at line starts and ends: \s would run across the following blank lines
# from every line start (quadratic on a file of many blank lines).
_SOURCE = re.compile(r"^[ \t]*(?:nguồn(?: tin)?|source)[ \t]*[:：][ \t]*(\S.*?)[ \t]*$", re.I | re.M)
_WEBSITE = re.compile(r"^[ \t]*website[ \t]*[:：][ \t]*(\S+)", re.I | re.M)
_DOMAIN = re.compile(r"^(?:[a-z0-9-]+\.)+(?:vn|com|net|org|gov|edu|info|int)(?:\.[a-z]{2})?(?:/\S*)?$",
                     re.I)
_SITE_NAME = re.compile(r"^(?:báo|tạp chí|cổng thông tin|trang thông tin|đài phát thanh|"
                        r"đài truyền hình)\b(?! cáo\b)", re.I)
_FOOTER_MARK = re.compile(r"giấy phép|tổng biên tập|bản quyền|copyright|©|cấm sao chép|địa chỉ\s*:",
                          re.I)
# Dateline prefixes of news agencies and papers, e.g. "LSO-Ngày 23/12/2020, …" (Báo Lạng Sơn).
_AGENCIES = {"LSO": "Báo Lạng Sơn", "TTXVN": "TTXVN", "VNA": "TTXVN", "VOV": "VOV",
             "CHINHPHU.VN": "chinhphu.vn", "NDĐT": "Báo Nhân Dân điện tử", "QĐND": "Báo Quân đội nhân dân"}
_AGENCY = re.compile(r"^\(?([A-ZĐ][A-Za-zĐ.]{1,14})\)?\s*[-–—]\s*\S")

_TRIGGER = re.compile(r"(?<!\w)(?:[Cc]ác\s+)?(?:[Đđ]ồng\s+chí|[Ôô]ng|[Bb]à)(?!\w)\s*:?\s*")
_OFFICE_START = {"bí", "phó", "chủ", "ủy", "uỷ", "trưởng", "giám", "bộ", "thứ", "tổng", "thủ",
                 "chánh", "đại", "thượng", "trung", "thiếu"}
_OFFICE = _OFFICE_START | {"thư", "tịch", "viên", "tỉnh", "huyện", "thành", "thị", "đảng", "ủy",
                           "uỷ", "ban", "thường", "trực", "vụ", "ubnd", "hđnd", "mttq", "đốc",
                           "sở", "tướng", "tá", "úy", "quốc", "hội", "chính", "phủ"}
_NOT_NAME = {"Bí", "Phó", "Chủ", "Ủy", "Uỷ", "Trưởng", "Giám", "Thường", "Ban", "Tỉnh", "Huyện",
             "Đảng", "Nhà", "Bộ", "Thứ", "Tổng", "Đại", "Chánh", "Thủ", "Các", "Những", "Cùng",
             "Tại", "Theo", "Trong", "Và", "Là", "Đồng", "Ông", "Bà", "Anh", "Chị", "Hội", "Sở",
             "Phòng", "Cục", "Vụ", "Viện", "Trung", "Quốc", "Thành", "Xã", "Phường", "Quận", "Thị",
             "Đoàn", "Lãnh", "Người", "Nguyên", "Cựu", "Giáo", "Tiến", "Thạc", "Bác", "Kỹ", "Nhân"}
_LIST_ITEM = re.compile(r";\s*(?:(?:đồng chí|ông|bà)\s+)?((?:\w+\s+){1,4}\w+)\s*,")
# Type letters may end in one small letter: 08-QĐi/TW (Quy định), 15-CTr/TU (Chương trình), 33/TTr-SNV (Tờ trình).
_DOC = re.compile(r"(?<![\w/.-])(\d{1,5}(?:-[A-ZĐ]{1,6}[a-z]?\d{0,2}/[A-ZĐ][A-Za-zĐ]{0,9}\d{0,2}"
                  r"|(?:/(?:19|20)\d{2})?/[A-ZĐ]{2,6}[a-z]?\d{0,2}(?:-[A-ZĐ][A-Za-zĐ]{0,9}\d{0,2})*))(?![\w/])")
DOC_NUMBER = _DOC  # the one definition of a document number
LICENCE = re.compile(r"/GP-|/GP$")  # a press licence number (page footer), not a cited document
DATE = _DATE  # day/month[/year] as articles write it
_BYLINE_PREFIX = re.compile(r"^(?:bài(?: và|,)? ảnh|tin(?: và|,)? ảnh|tác giả|bài|tin)\s*:\s*", re.I)


def extract(raw: str, text: str, file_name: str) -> Metadata:
    """Metadata of one article: raw = normalised text before cleaning, text = cleaned text."""
    paras = [p.strip() for p in _PARA.split(text) if p.strip()]
    title = _title(paras) or Path(file_name).stem
    return Metadata(
        title=title,
        date=_date(raw, paras),
        source=_source(raw, paras),
        author=_author(paras),
        provinces=_provinces(title, text),
        people=_people(text),
        doc_numbers=_doc_numbers(text),
    )


def _is_dateline(line: str) -> bool:
    return _DATELINE.match(line.strip()) is not None


def _headline_like(para: str) -> bool:
    return "\n" not in para and len(_WORD.findall(para)) <= 40 and not _END.search(para)


def _all_caps(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and all(c.isupper() for c in letters)


def _title(paras: list[str]) -> str:
    candidates = [p for p in paras[:6] if not _is_dateline(p)]
    if not candidates:
        return ""
    first = candidates[0]
    if _headline_like(first):
        nxt = candidates[1] if len(candidates) > 1 else ""
        if _all_caps(first) and nxt and _headline_like(nxt) and not _all_caps(nxt):
            return nxt
        return first
    sentence = re.split(r"(?<=[.!?…])\s+", first, maxsplit=1)[0]
    if len(sentence) <= 160:
        return sentence
    return sentence[:160].rsplit(" ", 1)[0] + "…"


def iso(day: str, month: str, year: str | None) -> str | None:
    """A written date as ISO ("--MM-DD" without a year), or None when it is not a calendar date."""
    d, m = int(day), int(month)
    if not (1 <= d <= 31 and 1 <= m <= 12):
        return None
    if year is None:
        return f"--{m:02d}-{d:02d}"
    y = int(year)
    return f"{y:04d}-{m:02d}-{d:02d}" if 1900 <= y <= 2100 else None


def _date(raw: str, paras: list[str]) -> str | None:
    top = [line.strip() for line in raw.split("\n") if line.strip()][:8]
    for line in top:
        m = _DATELINE.match(line)
        if m and (found := iso(*m.groups())):
            return found
    for para in paras[:4]:
        for m in _EVENT.finditer(para):
            if _CITED_DOC.search(para[max(0, m.start() - 40):m.start()]):
                continue
            groups = m.groups()
            day, month, year = groups[:3] if groups[0] else groups[3:]
            if found := iso(day, month, year):
                return found
    return None


def _host(value: str) -> str | None:
    value = value.strip().rstrip(".,;")
    if re.match(r"^(?:https?://|www\.)", value, re.I):
        host = urlparse(value if "://" in value else f"http://{value}").hostname or ""
        return host.removeprefix("www.") or None
    if _DOMAIN.match(value):
        return value.split("/", 1)[0].lower().removeprefix("www.")
    return None


def _site_case(name: str) -> str:
    """ "BÁO HÀ NAM ĐIỆN TỬ" → "Báo Hà Nam điện tử": sentence case, provinces capitalised."""
    if not _all_caps(name):
        return name
    out = name.lower()
    out = out[:1].upper() + out[1:]
    for province in provinces.find(name):
        out = re.sub(re.escape(province.lower()), province, out, flags=re.I)
    return out


def _source(raw: str, paras: list[str]) -> str | None:
    found = [value for value in _SOURCE.findall(raw) if len(value) <= 80]
    if found:
        value = found[-1]
        return _host(value) or value.rstrip(" .;,") or None
    lines = [line.strip() for line in raw.split("\n") if line.strip()]
    near_mark = set()  # lines within 3 of a footer mark (licence, editor, address…)
    for i, line in enumerate(lines):
        if _FOOTER_MARK.search(line):
            near_mark.update(range(i - 3, i + 4))
    for i, line in enumerate(lines):
        if (_SITE_NAME.match(line) and len(_WORD.findall(line)) <= 10 and not _END.search(line)
                and (_all_caps(line) or i in near_mark)):
            return _site_case(line)
    website = _WEBSITE.search(raw)
    if website and (host := _host(website.group(1))):
        return host
    for para in paras[:4]:
        m = _AGENCY.match(para)
        if m and m.group(1).upper() in _AGENCIES:
            return _AGENCIES[m.group(1).upper()]
    return None


def _name_words(words: list[str], caps: bool = False) -> bool:
    """Capitalised syllables ("Thào", "A", "Súa"); ALL-CAPS ones too when caps is set."""
    return all(w[:1].isupper() and w.isalpha() and (len(w) == 1 or w[1:].islower()
                                                    or (caps and w.isupper())) for w in words)


def _byline(para: str) -> str | None:
    line = _BYLINE_PREFIX.sub("", para.strip())
    line = re.sub(r"\s*\([^()]*\)\s*$", "", line).strip()
    if not line or "\n" in line or _END.search(line) or any(c.isdigit() for c in line):
        return None
    names = [n for n in re.split(r"\s*[–—-]\s*|\s*,\s*|\s+và\s+", line) if n]
    if not names or sum(len(n.split()) for n in names) > 12:
        return None
    for name in names:
        words = name.split()
        if not 2 <= len(words) <= 5 or not _name_words(words, caps=True) or provinces.find(name):
            return None
    if _all_caps(line):
        line = " ".join(w.capitalize() if w.isalpha() else w for w in line.lower().split())
    return line


def _author(paras: list[str]) -> str | None:
    tail = [p for p in paras[-4:] if not _SOURCE.match(p)]
    for para in reversed(tail[-2:]):
        if name := _byline(para):
            return name
    for para in paras:
        m = re.match(r"^(?:bài(?: và|,)? ảnh|tin(?: và|,)? ảnh|tác giả)\s*:\s*(.{3,60})$", para, re.I)
        if m and (name := _byline(m.group(1))):
            return name
    return None


PROVINCE_SCAN_CHARS = 50_000  # an article names its provinces early; a huge file need not be scanned whole


def _provinces(title: str, text: str) -> tuple[str, ...]:
    ordered = provinces.find(title)
    for name in provinces.find(f"{title}\n{text[:PROVINCE_SCAN_CHARS]}"):
        if name not in ordered:
            ordered.append(name)
    return tuple(ordered)


def _name_at(text: str, pos: int) -> tuple[str | None, int]:
    """The personal name starting at pos (after an optional office), and where it ends."""
    tokens = list(re.finditer(r"\S+", text[pos:pos + 200]))
    i = 0
    if tokens and tokens[0].group(0).lower() in _OFFICE_START:
        while i < len(tokens) and i < 8 and tokens[i].group(0).lower() in _OFFICE:
            i += 1
    words: list[str] = []
    end = pos
    for tok in tokens[i:]:
        raw = tok.group(0)
        word = raw.rstrip(",;:.!?)\"'")
        if not word or not _name_words([word]) or (not words and word in _NOT_NAME):
            break
        words.append(word)
        end = pos + tok.start() + len(word)
        if word != raw:
            break
    if not 2 <= len(words) <= 5 or words[0] in _NOT_NAME:
        return None, end
    return " ".join(words), end


_STOP = re.compile(r"\.(?:\s|$)")
LIST_SCAN_CHARS = 2_000  # a "; Name," list is read this far into the sentence after a trigger


def _people(text: str) -> tuple[str, ...]:
    """Linear in the text: each sentence's "; Name," list is read once, from its first trigger
    (later triggers of the same sentence would find the same items), and at most
    LIST_SCAN_CHARS into it."""
    seen: dict[str, str] = {}

    def add(name: str | None, trigger: str = "") -> None:
        if not name or provinces.find(f"{trigger} {name}".strip()):
            return
        seen.setdefault(fold(name), name)

    sentence_end = -1  # end of the sentence whose list was read last
    for m in _TRIGGER.finditer(text):
        name, end = _name_at(text, m.end())
        add(name, m.group(0).strip(" :"))
        if name is None or end < sentence_end:
            continue
        stop = _STOP.search(text, end, end + LIST_SCAN_CHARS)
        sentence_end = stop.start() if stop else min(len(text), end + LIST_SCAN_CHARS)
        for item in _LIST_ITEM.finditer(text, end, sentence_end):
            candidate = item.group(1).split()
            if _name_words(candidate) and candidate[0] not in _NOT_NAME:
                add(" ".join(candidate))
    return tuple(seen.values())


def _doc_numbers(text: str) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for m in _DOC.finditer(text):
        code = m.group(1)
        if LICENCE.search(code):
            continue
        out.setdefault(code, None)
    return tuple(out)
