"""The office a person question asks about ("Chủ tịch HĐND tỉnh", "Bí thư Tỉnh ủy"), and who holds it in a
sentence: the answer to "Ai là Chủ tịch HĐND tỉnh Sơn La?" is a name whose own titles include that
office, not the "Chủ tịch UBND huyện" listed beside it.

A news sentence gives a person's offices after the name, between commas ("Trương Quốc Huy, Phó Bí
thư Tỉnh ủy, Chủ tịch UBND tỉnh;"), or right before it ("Chủ tịch UBND tỉnh Trương Quốc Huy"). An
office held is one of those pieces that opens with the title asked ("Phó Chủ tịch" is another
title than "Chủ tịch"), names every body word asked (UBND, Sở Nội vụ …), and names no other level
(huyện for tỉnh) or province than the one asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .. import provinces
from ..expand import ABBREVIATIONS, translate
from ..text import fold
from .spans import OFFICE_TITLES, candidates

_DEPUTY = "pho"
# Bodies written as two words are one token here, so that "Tỉnh ủy" is no "tỉnh" level.
_COMPOUNDS = {"tinh uy": "tinhuy", "huyen uy": "huyenuy", "thanh uy": "thanhuy", "dang uy": "danguy",
              "thanh pho": "thanhpho", "thi xa": "thixa", "thi tran": "thitran"}
LEVELS = frozenset("tinh huyen xa thanhpho quan phuong thixa thitran".split())
# The bodies an office of the state or the Party belongs to; a question about another kind of "chủ tịch"
# ("chủ tịch của Apple") names none and is left to the ordinary short answer.
_BODIES = frozenset("ubnd hdnd tinhuy huyenuy thanhuy danguy mttq btv bch dbqh so ban bo cuc vien".split())
# A Party committee is followed by its place ("Huyện ủy Thuận Châu"), not by more of its name.
_PLACED = frozenset("tinhuy huyenuy thanhuy danguy".split())
# The Party committee of each level, and how an office held in it is written ("bí thư huyện ủy").
_COMMITTEE_OF = {"tinh": "tinhuy", "huyen": "huyenuy", "thanhpho": "thanhuy"}
_COMMITTEE_NAME = {"tinhuy": "tỉnh ủy", "huyenuy": "huyện ủy", "thanhuy": "thành ủy"}
_STOP = frozenset("la ai nao gi hien nay nam cua tai o va hay the sao".split())
_PIECE_BREAK = re.compile(r"\s*(?:,|\s[–-]\s|\()\s*")
_BEFORE_CUE = re.compile(r"^(?:đồng chí|ông|bà)\s+", re.I)


@dataclass(frozen=True)
class Office:
    title: tuple[str, ...]  # folded words: ("pho", "chu", "tich")
    bodies: frozenset[str]  # body words that must be named: {"ubnd"}, {"so", "noi", "vu"}
    levels: frozenset[str]  # administrative levels asked: {"tinh"}
    name: str  # as the question writes it, for "not found"


def _normal(text: str) -> list[str]:
    """Folded words with long forms abbreviated ("ủy ban nhân dân" → "ubnd") and two-word bodies joined."""
    low = " " + " ".join(re.findall(r"\w+", fold(text).lower())) + " "
    for short, long in ABBREVIATIONS.items():
        low = low.replace(f" {fold(long)} ", f" {fold(short)} ")
    for two, one in _COMPOUNDS.items():
        low = low.replace(f" {two} ", f" {one} ")
    return low.split()


def _title_at(words: list[str], i: int) -> tuple[str, ...] | None:
    """The title opening words[i:] (with "phó"), or None."""
    deputy = words[i:i + 1] == [_DEPUTY]
    j = i + deputy
    for title in OFFICE_TITLES:
        parts = title.split()
        if words[j:j + len(parts)] == parts:
            return tuple(words[i:j + len(parts)])
    return None


def of_question(question: str, english: bool) -> Office | None:
    """The state or Party office a person question names, or None."""
    if english:  # the glossary's Vietnamese for the English words: "chairman", "provincial", "People's Committee"
        found = translate(question)[1]
        terms = [w for t in found for w in _normal(t)]
        for i in range(len(terms)):
            title = _title_at(terms, i)
            if title:
                rest = set(terms[:i] + terms[i + len(title):])
                bodies, levels = rest - LEVELS, rest & LEVELS
                # "Party Secretary" is the province's ("bí thư tỉnh ủy"); "… of a district" is the district's
                own = {_COMMITTEE_OF[lv] for lv in levels if lv in _COMMITTEE_OF}
                if bodies & _PLACED and own and not bodies & own:
                    bodies = (bodies - _PLACED) | own
                    found = [t.replace("tỉnh ủy", _COMMITTEE_NAME[min(own)]) for t in found]
                if bodies & _PLACED:  # the committee says its level: "bí thư huyện ủy", not "… huyện ủy huyện"
                    found = [t for t in found if _normal(t) not in [[lv] for lv in _COMMITTEE_OF]]
                lead = [t for t in found if _title_at(_normal(t), 0)]  # "chủ tịch hội đồng nhân dân tỉnh"
                return _office(title, bodies, levels, " ".join(lead + [t for t in found if t not in lead]))
        return None
    words = _normal(_without_provinces(question))
    for i in range(len(words)):
        title = _title_at(words, i)
        if not title:
            continue
        bodies, levels = set(), set()
        for w in words[i + len(title):i + len(title) + 6]:
            if w in _STOP or w == "_" or bodies & _PLACED:
                break
            if w in LEVELS:
                levels.add(w)
            elif not levels:  # the words after a level name the place ("thành phố Phủ Lý")
                bodies.add(w)
        return _office(title, bodies, levels, _surface(question, title))
    return None


def _office(title, bodies, levels, name) -> Office | None:
    if not (set(bodies) & _BODIES or levels):
        return None
    return Office(tuple(title), frozenset(bodies), frozenset(levels), name)


def _without_provinces(text: str) -> str:
    """The text with each province name replaced by "_", a stop for the office's words."""
    for a, b, _ in reversed(provinces.spans(text)):
        text = f"{text[:a]} _ {text[b:]}"
    return text


def _surface(question: str, title: tuple[str, ...]) -> str:
    """The office as the question writes it: from its title to the question word or the end."""
    folded = fold(question).lower()
    m = re.search(r"\s+".join(map(re.escape, title)), folded)
    if not m:
        return " ".join(title)
    end = re.search(r"\s+(?:là|la|hiện|hien|năm|nam)\b|\s*[?,.]|$", question[m.end():])
    return question[m.start():m.end() + end.start()].strip()


def holds(piece: str, office: Office, asked_provinces: frozenset[str]) -> bool:
    """Whether one of a person's listed offices ("Chủ tịch UBND tỉnh Hà Nam") is the office asked."""
    piece = _BEFORE_CUE.sub("", piece.strip())
    words = _normal(piece)
    if not words or _title_at(words, 0) != office.title:
        return False
    rest = set(words[len(office.title):])
    if not office.bodies <= rest or (office.levels and rest & LEVELS and not rest & office.levels):
        return False
    named = {name for _, _, name in provinces.spans(piece)}
    return not named or not asked_provinces or bool(named & asked_provinces)


def holders(sentence: str, office: Office, asked_provinces: frozenset[str] = frozenset()) -> list[tuple[int, int]]:
    """(start, end) of each person named in the sentence who holds the office, by the offices listed
    after the name (up to the next ";" or person) or written right before it."""
    people = [(c.start, c.end) for c in candidates("person", sentence)]
    out = []
    for i, (a, b) in enumerate(people):
        after_end = people[i + 1][0] if i + 1 < len(people) else len(sentence)
        after = sentence[b:after_end].split(";")[0]
        pieces = [p for p in _PIECE_BREAK.split(after) if p.strip()]
        before_start = max(people[i - 1][1] if i else 0, *(sentence.rfind(c, 0, a) + 1 for c in ",;:"))
        pieces.append(sentence[before_start:a])
        if any(holds(p, office, asked_provinces) for p in pieces):
            out.append((a, b))
    return out
