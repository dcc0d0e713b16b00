"""What a question is about, and whether a passage is about the same thing.

A question may name a province (old or post-2025 name), a year, a document number, a
performance index (PAR Index, PAPI, SIPAS, PCI, DTI), a person, or another exact code. An answer
must come from a passage that names the same: another province's figure is not an answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from .. import provinces, register
from ..expand import ABBREVIATIONS
from ..records import Article
from ..register import DOC_KIND  # noqa: F401 - defined with the register's kinds; followup imports it from here
from ..text import find_word, fold, tokens
from .spans import PERIOD, PERSON_CUE, SURNAMES, name_runs

INDEXES = ("par index", "papi", "sipas", "pci", "dti")
_CITIES = {"Hà Nội", "Hải Phòng", "Đà Nẵng", "Cần Thơ", "TP Hồ Chí Minh", "Huế", "Thừa Thiên Huế"}
_YEAR = re.compile(r"(?<![\w/.,-])(?:19[5-9]\d|20\d\d)(?![\w/])")
# A day with its year ("20/4/2021"): the question's; and a day in an article's text, the year optional
# ("Ngày 24/3, …" in a 2022 article).
_DAY = re.compile(r"(?<![\w/.-])(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d\d)(?![\w/])")
_DAY_IN_TEXT = re.compile(r"(?<![\w/.-])(\d{1,2})/(\d{1,2})(?:/((?:19|20)\d\d))?(?![\w/])")
# "tụt 17 bậc so với năm 2020": the year after these is the one compared with, not the one asked about
_COMPARED = re.compile(r"(?:so voi|compared (?:to|with)|than)(?: (?:in|nam))? $", re.I)
# Another exact identifier: digits with capital letters in one token ("QH15", "XK-2024-017", "TB-7121/KT").
_CODE = re.compile(r"(?<![\w/-])(?=[\w/-]*\d)(?=[\w/-]*[A-ZĐ])[\w]+(?:[-/.][\w]+)*(?![\w/-])")


def _index_name(index: str) -> str:
    return index.upper() if index != "par index" else "PAR Index"


def _index_keys(index: str) -> tuple[str, ...]:
    """An index's short form, its long form, and the long form with a part of it abbreviated as
    articles write it ("chỉ số CCHC" for "chỉ số cải cách hành chính"), folded."""
    long = fold(ABBREVIATIONS[index])
    shortened = [long.replace(fold(phrase), fold(abbr)) for abbr, phrase in ABBREVIATIONS.items()
                 if abbr not in INDEXES and fold(phrase) in long]
    return (fold(index), long, *shortened)


_INDEXED = tuple((_index_name(i), _index_keys(i)) for i in INDEXES)  # (name, folded keys), built once
# any form of each index: the short one as a whole word, the long ones anywhere
_INDEX_ANY = {name: re.compile("|".join([rf"(?<!\w){re.escape(keys[0])}(?!\w)", *map(re.escape, keys[1:])]))
              for name, keys in _INDEXED}


@dataclass(frozen=True)
class Entity:
    """Something the question names: `keys` (folded), any of which a passage must contain."""

    # province, country, year, period (a year bounding a period), compared (a year the asked one is compared
    # with), document, index, person, code
    kind: str
    name: str  # as shown to the user
    keys: tuple[str, ...]
    surface: str = ""  # as written in the question


def _province_keys(name: str) -> tuple[str, ...]:
    try:
        names = provinces.old_names(name)  # a post-2025 unit also means the provinces merged into it
    except KeyError:
        names = (name,)
    return tuple(fold(n) for n in names)


def _people(text: str) -> list[str]:
    """Names in the question: a run of capitalised words after "ông"/"bà"/"đồng chí", or opening with a surname."""
    places = [(a, b) for a, b, _ in provinces.spans(text)]
    out = []
    for a, b in name_runs(text):
        words = text[a:b].split()
        if len(words) < 2 or any(a < pb and pa < b for pa, pb in places):
            continue
        if PERSON_CUE.search(text[max(0, a - 12):a]) or fold(words[0]) in SURNAMES:
            out.append(text[a:b])
    return out


def of_question(text: str) -> tuple[Entity, ...]:
    """The entities a question names, in a stable order."""
    found: list[Entity] = []
    seen_provinces: set[str] = set()
    for a, b, name in provinces.spans(text):
        if name not in seen_provinces:
            seen_provinces.add(name)
            kind = "thành phố" if name in _CITIES else "tỉnh"
            found.append(Entity("province", f"{kind} {name}", _province_keys(name), text[a:b]))
    folded = fold(text)  # NFC text folds letter for letter, so offsets carry over
    for name, keys in _INDEXED:
        m = find_word(folded, keys[0]) or next(filter(None, (re.search(re.escape(k), folded) for k in keys[1:])), None)
        if m:
            found.append(Entity("index", name, keys, text[m.start():m.end()]))
    for doc in register.named(text):  # "57-NQ/TU" in any case, or "Nghị quyết 57" by its number
        if doc.key:
            found.append(Entity("document", doc.key, (fold(doc.key),), doc.surface))
        else:
            # by its kind's full name ("NQ 57" → "nghi quyet 57"), which an article may write "Nghị quyết số 57"
            by_kind = fold(f"{doc.kind} {doc.number}") if doc.kind else fold(doc.surface)
            found.append(Entity("document", doc.surface, (by_kind, f"{doc.number}-", f"{doc.number}/"), doc.surface))
    for m in _DAY.finditer(text):
        key = f"{int(m.group(1))}/{int(m.group(2))}/{m.group(3)}"
        if 1 <= int(m.group(1)) <= 31 and 1 <= int(m.group(2)) <= 12 and not any(e.keys == (key,) for e in found):
            found.append(Entity("day", f"ngày {key}", (key,), m.group(0)))
    for m in _YEAR.finditer(text):  # a year that bounds a period the question names may match that period's bound
        kind = "period" if _bounds_period(text, m) else "compared" if _COMPARED.search(fold(text[:m.start()])) else "year"
        if not any(e.keys == (m.group(0),) for e in found):
            found.append(Entity(kind, f"năm {m.group(0)}", (m.group(0),), m.group(0)))
    named = {k for e in found for k in e.keys}
    for code in dict.fromkeys(_CODE.findall(text)):
        if fold(code) not in named and not any(fold(code) in k for k in named) and not _YEAR.fullmatch(code):
            found.append(Entity("code", code, (fold(code),), code))
    for person in dict.fromkeys(_people(text)):
        found.append(Entity("person", person, (fold(person),), person))
    for a, b, name in _countries(text):
        if not any(e.name == name for e in found):
            found.append(Entity("country", name, (fold(name),), text[a:b]))
    return tuple(found)


HOME = "VN"  # the articles' own country: a question naming it says nothing of which article answers


@cache
def _country_names() -> re.Pattern:
    """Countries by their Vietnamese names (CLDR's, through Babel), of two syllables or more: a one-syllable
    name ("Anh", "Lào", "Pháp", "Mỹ", "Nga") is also a common word or a person's name. Not Việt Nam (HOME)."""
    from babel import Locale

    names = {n for code, n in Locale("vi").territories.items()
             if code.isalpha() and code != HOME and len(n.split()) >= 2}
    return re.compile("|".join(rf"(?<!\w){re.escape(fold(n))}(?!\w)" for n in sorted(names, key=len, reverse=True)))


def _countries(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each country the text names, not as a nationality ("người Ấn Độ nổi tiếng")."""
    folded = fold(text)  # NFC text folds letter for letter, so offsets carry over
    return [(m.start(), m.end(), text[m.start():m.end()]) for m in _country_names().finditer(folded)
            if not re.search(r"(?<!\w)nguoi\s+$", folded[max(0, m.start() - 8):m.start()])]


def _bounds_period(text: str, year: re.Match) -> bool:
    """Whether the year found opens or closes a period ("2016 – 2020")."""
    return PERIOD.search(text[max(0, year.start() - 7):year.end() + 7]) is not None


def periods(text: str) -> list[tuple[int, int]]:
    """(first, last) year of each period `text` names ("giai đoạn 2011 – 2020" → (2011, 2020))."""
    return [(int(a), int(b)) for a, b in (re.findall(r"\d{4}", m.group(0)) for m in PERIOD.finditer(text))]


def single_years(text: str) -> set[str]:
    """The years `text` names on their own: a year that opens or closes a period ("giai đoạn
    2016 – 2020") is not that year."""
    return {year for _, _, year in year_mentions(text)}


def year_mentions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, year) of each year `text` names on its own, in order."""
    return [(m.start(), m.end(), m.group(0)) for m in _YEAR.finditer(text) if not _bounds_period(text, m)]


def context_words(named: tuple[Entity, ...]) -> frozenset[str]:
    """The folded words of the provinces, documents and indices a question names: the passage must hold them
    (`missing`), so they say which passage, not where in its sentence the answer stands ("02" right
    after "Nghị quyết 08-NQ/TU đề ra" is not the "07 mục tiêu cụ thể" asked about)."""
    return frozenset(fold(t) for e in named if e.kind in ("province", "document", "index") for t in tokens(e.surface))


def index_mentions(text: str) -> list[tuple[int, int, str]]:
    """(start, end, name) of each index the text names (short or long form), in order."""
    folded = fold(text)  # NFC text folds letter for letter, so offsets carry over
    return sorted((m.start(), m.end(), name) for name, pattern in _INDEX_ANY.items() for m in pattern.finditer(folded))


TIED = 40  # characters between a year and the index it is given for: "Năm 2021, chỉ số PAPI …"
TIED_AFTER = 25  # and after the index, with no comma between: "(PAPI) tỉnh Hà Nam năm 2021"


def index_years(text: str, indices: frozenset[str]) -> set[str]:
    """The years `text` gives these indices' figures for: the year right after a mention of one (no
    comma or other index between), else the year right before it in the same clause ("Năm 2021,
    chỉ số PAPI …"). A list of years after a comma ("chỉ số CCHC …, năm 2016 xếp thứ …; năm 2017 …")
    ties none."""
    if not indices:
        return set()
    years, named = year_mentions(text), index_mentions(text)
    out = set()
    for k, (start, end, name) in enumerate(named):
        if name not in indices:
            continue
        stop = min(named[k + 1][0] if k + 1 < len(named) else len(text), end + TIED_AFTER)
        after = [y for a, _, y in years if end <= a < stop and not re.search(r"[,;]", text[end:a])]
        before = [y for _, b, y in years if b <= start and start - b <= TIED and ";" not in text[b:start]]
        if after or before:
            out.add(after[0] if after else before[-1])
    return out


def of_asked(text: str, named: tuple[Entity, ...]) -> Callable[[int, int], bool] | None:
    """Whether the span text[a:b] is about the years and the index the question names: for each of
    those kinds the sentence names, the last one named before the span is one asked ("năm 2016 xếp
    thứ 60/63; … năm 2019 xếp thứ 55/63": 55/63 for 2019; "(PAR Index) xếp thứ 60/63 …; (PAPI) … xếp
    thứ 07": 07 for PAPI). A year or index after a figure is mostly what it is compared with ("tụt 17
    bậc so với năm 2020"). None when the question names neither."""
    asked = {"year": {k for e in named if e.kind == "year" for k in e.keys},
             "index": {e.name for e in named if e.kind == "index"}}
    mentions = {"year": year_mentions(text), "index": index_mentions(text)}
    kinds = [k for k in asked if asked[k] and mentions[k]]
    if not kinds:
        return None

    def fits(a: int, b: int) -> bool:
        for kind in kinds:
            before = [value for _, end, value in mentions[kind] if end <= a]
            if not before or before[-1] not in asked[kind]:
                return False
        return True
    return fits


def _contains(haystack: str, key: str, kind: str = "") -> bool:
    if kind == "year":
        return key in single_years(haystack)
    if kind == "day":
        d, m, y = key.split("/")
        return any((int(x.group(1)), int(x.group(2))) == (int(d), int(m)) and x.group(3) in (None, y)
                   for x in _DAY_IN_TEXT.finditer(haystack))
    if key.endswith(("-", "/")):  # a document by its number: "57-…" or "57/…"
        return re.search(rf"(?<![\w/.-]){re.escape(key)}\w", haystack) is not None
    if kind == "document" and (by_number := re.fullmatch(r"(.+) (\d{1,5})", key)):  # also "Nghị quyết số 57"
        word, number = by_number.groups()
        return re.search(rf"(?<!\w){re.escape(word)}{register.NUMBER_GAP}{number}(?!\w)", haystack) is not None
    return find_word(haystack, key) is not None


def missing(entities: tuple[Entity, ...], article: Article, passage: str) -> list[Entity]:
    """The entities that the passage (with its article's title, provinces, people, year and day) does not name."""
    if not entities:  # nothing to look for: no haystack to fold (prepare asks with none for most questions)
        return []
    meta = article.meta
    year = (meta.date or "")[:4]
    iso = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)", (meta.date or "")[:10])
    day = f"{int(iso.group(3))}/{int(iso.group(2))}/{iso.group(1)}" if iso else ""  # the day it was published
    parts = (passage, meta.title, " ; ".join(meta.provinces), " ; ".join(meta.people), year, day)
    haystack = fold(" \n ".join(parts))
    return [e for e in entities if not any(_contains(haystack, k, e.kind) for k in e.keys)]


def not_found_sentence(entities: tuple[Entity, ...]) -> str:
    """ "Các bài viết đã nạp không có số liệu PAPI của tỉnh Lạng Sơn." for the entities a question names."""
    by_kind: dict[str, list[str]] = {}
    for e in entities:
        by_kind.setdefault(e.kind, []).append(e.name)
    parts = []
    if "index" in by_kind:
        parts.append("số liệu " + ", ".join(by_kind["index"]))
    elif "document" in by_kind:
        parts.append("thông tin về văn bản " + ", ".join(by_kind["document"]))
    else:
        parts.append("thông tin này")
    if "document" in by_kind and "index" in by_kind:
        parts.append("trong văn bản " + ", ".join(by_kind["document"]))
    places = by_kind.get("province", []) + by_kind.get("country", [])
    if places:
        parts.append(("của " if len(parts) > 1 or "index" in by_kind else "về ") + " và ".join(places))
    if "person" in by_kind:
        parts.append("về " + ", ".join(by_kind["person"]))
    if "year" in by_kind:
        parts.append(", ".join(by_kind["year"]))
    if "day" in by_kind:
        parts.append(", ".join(by_kind["day"]))
    if "code" in by_kind:
        parts.append("có mã " + ", ".join(by_kind["code"]))
    return "Các bài viết đã nạp không có " + " ".join(parts) + "."
