"""The short answer: a span of the expected kind inside the chosen sentence.

Candidates of each kind are found by their form (numbers, dates, document numbers, runs of
capitalised words); the one chosen is not already in the question and lies nearest the words the
question and the sentence share, since an answer usually stands next to what the question repeats.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from .. import register
from ..lang import is_vietnamese_syllable
from ..metadata import DOC_NUMBER
from ..text import fold, has_diacritics, modern_tones

_TOKEN = re.compile(r"[^\W_][\w'’-]*\.?")
_JOINERS = frozenset("de van von der du la of".split())
_MULT = r"(?:\s+(?:nghìn|ngàn|triệu|tỷ|tỉ|trăm))*"
_UNIT = r"(?:\s*(?:%|phần trăm|đồng|USD|đô la|euro|bảng)(?!\w))?"
_NUMBER = re.compile(rf"(?<![\w/.,])\d+(?:[.,]\d+)*(?:/\d+)?{_MULT}{_UNIT}(?![\w/])"
                     r"|(?<!\w)(?:một|hai|ba|bốn|sáu|bảy|tám|chín|mười|mươi|hàng|vài)"
                     r"(?:\s+(?:mươi|mốt|lăm|trăm|nghìn|ngàn|triệu|tỷ|chục|một|hai|ba|bốn|năm|sáu|bảy|tám|chín))*(?!\w)")
PERIOD = re.compile(r"\d{4}\s*[-–]\s*\d{4}")  # "2016 – 2020"
_DATE = re.compile(r"(?<![\w/])(?:(?:ngày\s+)?\d{1,2}\s*/\s*\d{1,2}\s*/\s*\d{4}"
                   r"|ngày\s+\d{1,2}\s+tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?"
                   r"|(?:tháng\s+)?\d{1,2}\s*/\s*\d{4}|tháng\s+\d{1,2}(?:\s+năm\s+\d{4})?"
                   r"|(?:(?:vào\s+)?năm\s+)?(?:1\d{3}|20\d{2})(?:\s*[-–]\s*(?:1\d{3}|20\d{2}))?"
                   r"|thế\s+kỷ\s+(?:thứ\s+)?[\dIVXLC]+|(?:ngày\s+)?\d{1,2}\s*/\s*\d{1,2})(?![\w/])", re.I)
# Words that open a capitalised run without being part of a name (offices, place and organisation types).
_TITLE_WORDS = frozenset(modern_tones(w.lower()) for w in (
    "Bí thư Phó Chủ tịch Ủy Uỷ ban Tỉnh ủy UBND HĐND Đồng chí Ông Bà Giám đốc Trưởng Thủ tướng Tổng Thứ Bộ trưởng"
    " Đại biểu Ngày Năm Tháng Theo Tại Trong Khi Sau Trước Với Các Những Của Đến Cùng Nhưng Và Là Đây Đó Này").split())
SURNAMES = frozenset(fold(s) for s in (
    "Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý Trương Đinh Lâm Mai Trịnh Đào Hà Lương"
    " Tô Tạ Cao Lưu Chu Thái Triệu Văn Quách Kiều Khổng Vương Doãn Mạc Nông Hứa Lò Lục Giáp Hoàng").split())
# Titles of offices in Vietnamese administration and the Party (folded), each also held as a deputy ("Phó …").
OFFICE_TITLES = tuple(sorted((fold(t) for t in (
    "chủ tịch", "bí thư", "tổng bí thư", "giám đốc", "tổng giám đốc", "trưởng ban", "trưởng phòng", "trưởng đoàn",
    "bộ trưởng", "thứ trưởng", "chủ nhiệm", "chánh văn phòng", "chánh thanh tra", "chánh án", "viện trưởng",
    "cục trưởng", "vụ trưởng", "hiệu trưởng", "thủ tướng", "trưởng công an")), key=len, reverse=True))
# "Chủ tịch UBND tỉnh ": an office of a unit, which a person's full name may follow
_TITLE_ANY = "|".join(t.replace(" ", r"\s+") for t in OFFICE_TITLES)
_OFFICE_OF_UNIT = re.compile(rf"(?<!\w)(?:{_TITLE_ANY})(?:\s+\w+){{0,3}}\s+$", re.I)
PERSON_CUE = re.compile(r"(?:đồng chí|ông|bà|anh|chị|tác giả|Mr\.?|Mrs\.?|Ms\.?|Dr\.?)\s+$", re.I)
_UNITS = r"tỉnh|thành phố|TP\.?|huyện|quận|xã|phường|thị xã|thị trấn"  # administrative units
_PLACE_CUE = re.compile(rf"(?:{_UNITS}|ở|tại|nước|vùng|đến|từ)\s+$", re.I)
# "Quận HamPyeong", "huyện Thanh Liêm", "sông Kinh Thủy", "Khu đô thị Bắc Châu Giang", "đường Lê Lợi": a place,
# not a person
_PLACE_HEAD = re.compile(rf"({_UNITS})\s", re.I)
_UNIT_BEFORE = re.compile(rf"(?<!\w)({_UNITS})\s+$", re.I)
_PLACE_BEFORE = re.compile(rf"(?<!\w)(?:{_UNITS}|sông|núi|đảo|hồ|đèo|khu|đô thị|công nghiệp|thôn|bản|xóm|làng|đường"
                           r"|phố|cầu|cảng)\s+$", re.I)
_LISTED = re.compile(r"\s*(?:,|và|hoặc|,\s*và)\s*", re.I)  # between two items of one list
_ORG_HEAD = re.compile(r"(?:Sở|Ban|Ủy ban|UBND|HĐND|Bộ|Hội đồng|Hội|Tỉnh ủy|Huyện ủy|Đảng bộ|Công ty|Tập đoàn|Trung tâm"
                       r"|Viện|Trường|Cục|Tổng cục|Văn phòng|Mặt trận|Đoàn|Quỹ|Ngân hàng|Đại học|Học viện|[A-ZĐ]{2,})\b")
_DOC_KIND = re.compile(r"(?:nghị quyết|quyết định|kết luận|chỉ thị|kế hoạch|công văn|nghị định|thông tư|đề án"
                       r"|chương trình|thông báo)(?:\s+số)?\s+$", re.I)
_WORD = re.compile(r"\w+(?:[/\-.,]\w+)*")
_ACRONYM = re.compile(r"[A-ZĐ]{2,}[A-ZĐ0-9-]*")
_CLAUSE_BREAK = re.compile(r"[;:]")  # between two listed people ("A, Bí thư; B, Phó Bí thư")
NEAR_WORDS = 6.0  # a shared phrase this many words away counts half
# "Phó Bí thư" (deputy), "nguyên Chủ tịch" (former), "quyền Giám đốc" (acting): another office than the bare
# title a question asks about, so the person beside it is not the answer.
_OFFICE_MODIFIERS = frozenset(fold(w) for w in "phó nguyên quyền cựu".split())
CUE_BONUS = 0.5  # a cue word before a span ("ông", "tỉnh") counts as much as a phrase NEAR_WORDS away


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    cue: bool  # a word before it says it is of the kind ("ông" before a name, "tỉnh" before a place)


def name_runs(text: str) -> list[tuple[int, int]]:
    """Runs of capitalised words (only spaces between them), without the office or function words
    that open them ("Chủ tịch UBND tỉnh Trương Quốc Huy" → "Trương Quốc Huy"). A word all in capitals
    is an acronym; a run mostly of such words is a headline ("QUYẾT TÂM THỰC HIỆN …"), no name."""
    runs: list[list[re.Match]] = []
    prev_end = -1
    for m in _TOKEN.finditer(text):
        word = m.group(0)
        if m.start() and text[m.start() - 1] in "/-.,":  # a part of a code ("17-NQ/TU"), not a word
            prev_end = -1
            continue
        capital = word[0].isupper()
        if (capital or (word in _JOINERS and runs and prev_end == m.start() - 1)) and runs \
                and prev_end >= 0 and text[prev_end:m.start()].isspace() and not text[prev_end - 1] == ".":
            runs[-1].append(m)
        elif capital:
            runs.append([m])
        else:
            prev_end = -1
            continue
        prev_end = m.end()
    out = []
    for words in runs:
        capitals = sum(len(w.group(0)) > 1 and w.group(0).isupper() for w in words)
        if capitals > 1 and 2 * capitals > len(words):
            continue
        while words and (modern_tones(words[0].group(0).rstrip(".").lower()) in _TITLE_WORDS or words[0].group(0) in _JOINERS):
            words.pop(0)
        while words and words[-1].group(0) in _JOINERS:
            words.pop()
        if words and (len(words) > 1 or _single_name(words[0].group(0))):
            out.append((words[0].start(), words[-1].end() - words[-1].group(0).endswith(".")))
    return out


def _office_holder(text: str, a: int, b: int) -> bool:
    """Whether the run after a unit word is the full name of the unit's office holder ("Chủ tịch UBND
    tỉnh Trần Thị Bình"), not the unit's name ("Chủ tịch UBND huyện Lý Nhân"): three words or more
    opening with a surname, right after an office's title."""
    words = text[a:b].split()
    return len(words) >= 3 and fold(words[0]) in SURNAMES \
        and _OFFICE_OF_UNIT.search(fold(text[max(0, a - 40):a])) is not None


def _single_name(word: str) -> bool:
    """One capitalised word alone is a name when it is not shaped like a Vietnamese syllable
    ("Tesla", "Warsaw", "UBND"): Vietnamese names have two or more syllables, and a lone capital
    syllable ("Trung", "Chỉ") opens a title-cased phrase."""
    return len(word) > 2 and not has_diacritics(word) and not is_vietnamese_syllable(word)


# A news sentence that opens with when what it tells of happened: "Sáng 20/4/2021, …", "Ngày 22/6, …"
_DATELINE = re.compile(r"\s*(?:(?:sáng|chiều|trưa|tối|đêm)\s+(?:ngày\s+)?|ngày\s+)(\d{1,2}\s*/\s*\d{1,2}(?:\s*/\s*\d{4})?)"
                       r"\s*,", re.I)


def dateline(sentence: str) -> tuple[int, int] | None:
    """The date a sentence opens with as its dateline ("Sáng 20/4/2021, Ban Thường vụ … họp"), or None."""
    m = _DATELINE.match(sentence)
    return (m.start(1), m.end(1)) if m and _is_day_month(m.group(1)) else None


def _is_day_month(span: str) -> bool:
    parts = re.findall(r"\d+", span)
    return len(parts) != 2 or (1 <= int(parts[0]) <= 31 and 1 <= int(parts[1]) <= 12)


def candidates(kind: str, text: str) -> list[Candidate]:
    """Spans of `text` that have the form of an answer of this kind."""
    if kind == "number":
        spans = [(m.start(), m.end()) for m in _NUMBER.finditer(text)]
        # a day/month is a date with its year or "ngày"; bare, it may be a share ("02/08 chỉ số thành phần")
        dates = [(m.start(), m.end()) for m in _DATE.finditer(text)
                 if (_is_day_month(m.group(0)) and re.search(r"\d{4}|ngày", m.group(0), re.I))
                 or PERIOD.search(m.group(0))]  # "2021 – 2025" is when, not how many
        codes = [(m.start(), m.end()) for m in DOC_NUMBER.finditer(text)]  # "08" of "08-NQ/TU" counts nothing
        spans = [s for s in spans if not any(a <= s[0] and s[1] <= b for a, b in dates + codes)]
        return [Candidate(a, b, False) for a, b in spans]
    if kind == "date":
        return [Candidate(m.start(), m.end(), bool(re.search(r"\d{4}|ngày|tháng", m.group(0), re.I)))
                for m in _DATE.finditer(text) if _is_day_month(m.group(0))]
    if kind == "document":
        out = [Candidate(m.start(), m.end(), True) for m in DOC_NUMBER.finditer(text)]
        return out or [Candidate(a, b, bool(_DOC_KIND.search(text[:a] + " "))) for a, b in name_runs(text)]
    runs = name_runs(text)
    if kind == "person":
        out, place_end = [], -1
        for a, b in runs:
            # a place, or a name of two words listed right after one ("xã Đinh Xá và Trịnh Xá"), is no person;
            # a Vietnamese person's name mostly has three ("huyện Lý Nhân, Trần Văn Cường, …")
            if _PLACE_HEAD.match(text[a:b]) or (_PLACE_BEFORE.search(text[max(0, a - 14):a])
                                                 and not _office_holder(text, a, b)) \
                    or (place_end >= 0 and _LISTED.fullmatch(text[place_end:a]) and len(text[a:b].split()) <= 2):
                place_end = b
                continue
            place_end = -1
            if not (_ORG_HEAD.match(text[a:b]) or _ACRONYM.fullmatch(text[a:b])):
                out.append(Candidate(a, b, bool(PERSON_CUE.search(text[max(0, a - 12):a]))))
        return out
    if kind == "place":  # an acronym ("PAPI", "UBND") names an index or a body, not a place
        return [Candidate(a, b, bool(_PLACE_CUE.search(text[max(0, a - 12):a]) or _PLACE_HEAD.match(text[a:b])))
                for a, b in runs if not _ACRONYM.fullmatch(text[a:b])]
    if kind == "organisation":
        return [Candidate(a, b, bool(_ORG_HEAD.match(text[a:b]))) for a, b in runs]
    return []


def holds(kind: str, text: str, question: Mapping[str, float]) -> bool:
    """Whether `text` holds an answer of this kind to the question; for a document, a document number or
    a name a document word stands before ("Nghị quyết về chuyển đổi số"), not any capitalised name."""
    if kind == "sentence" or (kind == "document" and not any(c.cue for c in candidates(kind, text))):
        return False
    return choose(kind, text, question) is not None


def choose(kind: str, text: str, question: Mapping[str, float], pairs: Collection[str] = (),
           about: Callable[[int, int], bool] | None = None, context: Collection[str] = ()) -> tuple[int, int] | None:
    """The best (start, end) of a span of `kind` in `text`, or None. `question` maps the question's
    folded words to their weights (IDF), `pairs` holds its adjacent word pairs ("bi_thu"). When some
    spans are `about` what the question names (the year and index asked), only those. `context`: question words
    that do not tie a span to the question (entities.context_words)."""
    cands = [c for c in candidates(kind, text) if _new_share(text[c.start:c.end], question) > 0.5]
    if about and any(about(c.start, c.end) for c in cands):
        cands = [c for c in cands if about(c.start, c.end)]
    if kind == "date" and not register.asks_issue(question):  # a cited document's own date is no event's
        own = register.own_dates(text)
        cands = [c for c in cands if not any(a <= c.start < b for a, b in own)]
    if not cands:
        return None
    runs = _shared_runs(text, {w: v for w, v in question.items() if w not in context} if context else question, pairs)
    if kind == "person":
        runs = [r for r in runs if not _modified_office(text, r[0], question)]
    top = max((w for _, _, w in runs), default=1.0) or 1.0

    def score(c: Candidate) -> tuple[float, int]:
        near = 0.0
        for a, b, w in runs:  # the strongest shared phrase nearby, nearer counts more
            after = a >= c.end
            gap = text[c.end:a] if after else text[b:c.start] if c.start >= b else ""
            near = max(near, w / top / (1.0 + len(_WORD.findall(gap)) / NEAR_WORDS) / _breaks(kind, gap, after))
        unit = _unit_of(text, c) if kind == "place" else ""  # "quận nào" asks for the quận
        asked_unit = bool(unit) and all(w in question for w in unit.split())
        return near + (CUE_BONUS if c.cue else 0.0) + (CUE_BONUS if asked_unit else 0.0), -c.start

    best = max(cands, key=score)
    return best.start, best.end


def _unit_of(text: str, c: Candidate) -> str:
    """The administrative unit a place span is headed by or follows ("Quận HamPyeong", "tỉnh Jeollanam"),
    folded; "" without one."""
    m = _PLACE_HEAD.match(text, c.start) or _UNIT_BEFORE.search(text[max(0, c.start - 12):c.start])
    return re.sub(r"[^\w ]", "", fold(m.group(1)).lower()) if m else ""


def _breaks(kind: str, gap: str, after: bool) -> float:
    """How much punctuation between a span and a phrase weakens their tie: a ";" or ":" ends a listed
    item; and a person's title follows the name after a comma ("A, Bí thư Tỉnh ủy") but stands right
    before it ("Bí thư Tỉnh ủy A"), so a title before a name across a comma describes someone else."""
    return (2.0 if _CLAUSE_BREAK.search(gap) else 1.0) * (2.0 if kind == "person" and not after and "," in gap else 1.0)


def _modified_office(text: str, start: int, question: Mapping[str, float]) -> bool:
    """Whether the word right before `start` makes an office another one ("Phó" before "Bí thư")
    and the question does not say it."""
    m = re.search(r"(\w+) $", text[max(0, start - 12):start])
    return m is not None and fold(m.group(1)) in _OFFICE_MODIFIERS and fold(m.group(1)) not in question


def _shared_runs(text: str, question: Mapping[str, float], pairs: Collection[str]) -> list[tuple[int, int, float]]:
    """The sentence's runs of words that stand together in the question too, as (start, end, weight):
    a run weighs the sum of its words' weights times its length, so "Bí thư Tỉnh ủy" as a phrase
    outweighs its words scattered around another name."""
    runs: list[list] = []
    prev = None
    for m in _WORD.finditer(text):
        w = fold(m.group(0))
        if w not in question:
            prev = None
            continue
        if prev is not None and f"{prev}_{w}" in pairs and text[runs[-1][1]:m.start()].isspace():
            runs[-1][1] = m.end()
            runs[-1][2].append(question[w])
        else:
            runs.append([m.start(), m.end(), [question[w]]])
        prev = w
    return [(a, b, sum(ws) * len(ws)) for a, b, ws in runs]


# words that say what a span is rather than which one: "ngày", "năm" of a date, the unit of a place ("Quận
# HamPyeong" answers "quận nào"); single syllables that are no part of a person's name when folded
_CUE_WORDS = frozenset(fold(w) for w in "ngày tháng năm vào thứ số lúc tỉnh huyện quận xã".split())


def _new_share(span: str, question_terms: Mapping[str, float]) -> float:
    """Share of the span's words (other than cue words such as "ngày", "năm") the question does not have."""
    words = [fold(w) for w in _WORD.findall(span)]
    words = [w for w in words if w not in _CUE_WORDS] or words
    return sum(w not in question_terms for w in words) / len(words) if words else 0.0
