"""Query expansion: abbreviations, English admin terms, province names before/after the 2025 merger."""

from __future__ import annotations

import re

from . import provinces
from .text import find_word, fold

WEIGHT = 0.5  # expansions count half as much as the words the user typed

ABBREVIATIONS = {
    "cchc": "cải cách hành chính",
    "ubnd": "ủy ban nhân dân",
    "hđnd": "hội đồng nhân dân",
    "mttq": "mặt trận tổ quốc",
    "bch": "ban chấp hành",
    "btv": "ban thường vụ",
    "tthc": "thủ tục hành chính",
    "đbqh": "đại biểu quốc hội",
    "par index": "chỉ số cải cách hành chính",
    "papi": "chỉ số hiệu quả quản trị và hành chính công",
    "sipas": "chỉ số hài lòng về sự phục vụ hành chính",
    "pci": "chỉ số năng lực cạnh tranh cấp tỉnh",
    "dti": "chỉ số chuyển đổi số",
    "nq": "nghị quyết",
    "qđ": "quyết định",
    "kl": "kết luận",
    "ct": "chỉ thị",
}

# English names of Vietnamese offices, bodies, units, document kinds and programmes: general administrative
# vocabulary that an English question uses for terms the e5 model may not map across languages. Ordinary
# English words (verbs, "rank", "year") are left to the dense side.
GLOSSARY = {
    "party secretary": "bí thư tỉnh ủy",
    "secretary": "bí thư",
    "deputy secretary": "phó bí thư",
    "chairman": "chủ tịch",
    "chairwoman": "chủ tịch",
    "chair": "chủ tịch",
    "vice chairman": "phó chủ tịch",
    "people's committee": "ủy ban nhân dân",
    "people's council": "hội đồng nhân dân",
    "standing committee": "ban thường vụ",
    "executive committee": "ban chấp hành",
    "party committee": "tỉnh ủy",
    "provincial party committee": "tỉnh ủy",
    "province": "tỉnh",
    "provincial": "tỉnh",
    "district": "huyện",
    "commune": "xã",
    "resolution": "nghị quyết",
    "decision": "quyết định",
    "directive": "chỉ thị",
    "conclusion": "kết luận",
    "decree": "nghị định",
    "conference": "hội nghị",
    "meeting": "hội nghị",
    "administrative reform": "cải cách hành chính",
    "administrative procedures": "thủ tục hành chính",
    "digital transformation": "chuyển đổi số",
    "new rural": "nông thôn mới",
    "budget": "ngân sách",
    "term": "nhiệm kỳ",
    "congress": "đại hội",
}

def _contains(folded_text: str, folded_phrase: str) -> bool:
    return find_word(folded_text, folded_phrase) is not None


def translate(question: str) -> tuple[str, list[str]]:
    """An English question's glossary terms in Vietnamese, and the question without them: the
    translation then stands for what the user typed ("Party Secretary" is "bí thư tỉnh ủy"), where
    the English words would only be words no article uses."""
    rest, found = question, []
    for phrase in sorted(GLOSSARY, key=len, reverse=True):
        rest, n = re.subn(rf"(?<!\w){re.escape(phrase)}(?!\w)", " ", rest, flags=re.I)
        if n:
            found.append(GLOSSARY[phrase])
    return rest, found


def expansions(question: str, glossary: bool = True) -> list[str]:
    """Extra phrases for a question: the other form of each abbreviation, Vietnamese for English terms
    (unless `glossary` is false: `translate` has put them in already), and the pre-2025 provinces
    merged into a post-2025 unit the question names."""
    folded = fold(question)
    extra: list[str] = []
    for short, long in ABBREVIATIONS.items():
        f_short, f_long = fold(short), fold(long)
        if _contains(folded, f_short) and not _contains(folded, f_long):
            extra.append(long)
        elif _contains(folded, f_long) and not _contains(folded, f_short):
            extra.append(short)
    if glossary:
        extra += translate(question)[1]
    named = provinces.find(question)
    for name in named:  # English word order: "Lang Son province" is "tỉnh Lạng Sơn"
        for english_word, vietnamese in (("province", "tỉnh"), ("city", "thành phố")):
            if _contains(folded, f"{fold(name)} {english_word}"):
                extra.append(f"{vietnamese} {name}")
    for name in named:  # a post-2025 unit ("Ninh Bình") also means the provinces merged into it
        try:
            merged = provinces.old_names(name)
        except KeyError:  # a province that is not a post-2025 unit: nothing to add
            continue
        extra += [old for old in merged if old not in named]
    return extra


def related_provinces(names) -> list[str]:
    """Pre-2025 province names that refer to the same unit as any of the given (old or new) names."""
    out: list[str] = []
    for name in names:
        for related in provinces.related(name):
            if related not in out:
                out.append(related)
    return out
