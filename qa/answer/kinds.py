"""The kind of answer a question expects, read off its question words (Vietnamese or English).

Kinds: person, number (quantities, ranks, percentages, money), date (days, months, years), place,
document (a document number), organisation, and "sentence" for everything else. The cues are the
grammar of questions: "ai"/"who", "bao nhiêu"/"how many", "khi nào"/"when", "<place noun> nào"/
"which province", "<document kind> nào"/"which resolution", "<organisation noun> nào"/"which agency".
"""

from __future__ import annotations

import re

from ..text import fold, has_diacritics, modern_tones

KINDS = ("person", "number", "date", "place", "document", "organisation", "sentence")

# Nouns that, followed by "nào" ("which") or "gì" ("what"), ask for a thing of that kind.
_PLACE_NOUNS = ("tỉnh thành", "tỉnh", "thành phố", "thành", "huyện", "quận", "xã", "phường", "thị xã", "thị trấn",
                "nước", "quốc gia", "địa phương", "nơi", "vùng", "miền", "khu vực", "địa điểm", "địa bàn",
                "châu lục", "lục địa", "thủ đô", "sông", "núi", "bang", "đảo", "hòn đảo")
_DOC_NOUNS = ("văn bản", "nghị quyết", "quyết định", "kết luận", "chỉ thị", "kế hoạch", "công văn", "nghị định",
              "thông tư", "luật", "đề án", "chương trình", "hướng dẫn", "thông báo", "tờ trình")
_ORG_NOUNS = ("cơ quan", "tổ chức", "đơn vị", "sở", "ban", "bộ", "ngành", "công ty", "doanh nghiệp", "trường",
              "đảng", "hội", "ủy ban", "tập đoàn", "hãng", "đội", "câu lạc bộ", "viện", "trung tâm")
_PERSON_NOUNS = ("người", "ông", "bà", "đồng chí", "vị", "nhân vật", "tác giả", "cầu thủ", "vua", "ai", "lãnh đạo",
                 "cán bộ", "đại biểu", "diễn viên", "ca sĩ", "nghệ sĩ", "nhà thơ", "nhà văn", "nhà báo", "nhà khoa học",
                 "vận động viên", "huấn luyện viên", "tổng thống", "thủ tướng", "hoàng đế", "nữ hoàng", "học giả",
                 "giáo sư", "bác sĩ", "kỹ sư", "giáo viên", "học sinh", "sinh viên", "hậu vệ", "tiền vệ", "tiền đạo",
                 "thủ môn", "tướng", "vị tướng")
_TIME_NOUNS = ("năm", "ngày", "tháng", "thời điểm", "thời gian", "thế kỷ", "giai đoạn", "thập kỷ", "lúc", "hồi")
_WHICH = r"(?:nào|gì)"
# English nouns that a place noun qualifies without being what is asked: "what state budget", "which city
# council", "what province level".
_BODY_NOUNS = ("budget", "revenue", "revenues", "agency", "agencies", "management", "owned", "enterprise",
               "enterprises", "official", "officials", "council", "government", "level", "authority", "authorities",
               "committee", "secretary", "leader", "leaders", "fund", "funds", "funding", "employees", "police",
               "court", "administration")
# English nouns of people: "which player", "what actress", "what Panther defender" ask who.
_EN_PERSON_NOUNS = ("person", "people", "man", "men", "woman", "women", "player", "leader", "official", "king", "queen",
                    "president", "actor", "actress", "artist", "poet", "writer", "author", "scientist", "singer",
                    "defender", "quarterback", "coach", "emperor", "minister", "chairman", "chairwoman", "physicist",
                    "philosopher", "theologian", "composer", "engineer", "inventor", "scholar", "politician", "lawyer",
                    "judge", "governor", "mayor", "deputy", "delegate", "secretary", "director", "reformer")
# Words that end the noun phrase after "what is" (a preposition, a clause) or make it a name.
_LINKS = ("name", "of", "for", "in", "on", "at", "to", "by", "with", "from", "that", "which", "who", "and", "or")
# English nouns of a measured quantity: "what is the <noun> of …" asks for a number.
_QUANTITY_NOUNS = ("population", "number", "percentage", "percent", "rank", "ranking", "size", "area", "cost",
                   "price", "amount", "total", "rate", "proportion", "share", "length", "height", "value", "budget",
                   "revenue", "speed", "weight", "temperature", "distance", "age")


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_VI_RULES: tuple[tuple[str, str], ...] = (
    ("sentence", r"\b(?:tại sao|vì sao|vì lý do gì|lý do gì|như thế nào|ra sao|thế nào|bằng cách nào)\b"),
    ("date", rf"\b(?:khi nào|bao giờ|lúc nào|hồi nào|(?:{_alt(_TIME_NOUNS)}) (?:nào|mấy|bao nhiêu))\b"),
    ("document", rf"\b(?:{_alt(_DOC_NOUNS)})(?: số)? {_WHICH}\b|\b(?:{_alt(_DOC_NOUNS)}) số mấy\b|\bsố hiệu\b"
                 r"|\bsố ký hiệu\b"),
    ("place", rf"\b(?:ở đâu|tại đâu|đâu|(?:{_alt(_PLACE_NOUNS)}) nào)\b"),
    ("organisation", rf"\b(?:{_alt(_ORG_NOUNS)}) nào\b"),
    ("person", rf"\b(?:là ai|ai|(?:{_alt(_PERSON_NOUNS)}) nào|tên (?:là )?gì)\b"),
    ("number", r"\b(?:bao nhiêu|mấy|thứ mấy|số lượng|tỷ lệ|tỉ lệ|mức nào)\b"),
)
_EN_RULES: tuple[tuple[str, str], ...] = (
    ("sentence", r"\b(?:why|how (?:did|does|do|is|was|were|are|can|could|has|have)|in what way|for what reason)\b"),
    ("date", r"\b(?:when|what (?:year|date|day|month|century|decade|time|period)|which (?:year|date|day|month|century)"
             r"|in what (?:year|month)|how long ago)\b"),
    ("document", r"\b(?:which|what) (?:resolution|decision|document|directive|decree|plan|conclusion|law|circular)\b"),
    ("place", r"\b(?:where|(?:which|what) (?:province|provinces|city|country|countries|place|region|area|district"
              rf"|town|state|continent|island|river|location|locality|capital))\b(?! (?:{_alt(_BODY_NOUNS)})\b)"),
    ("organisation", r"\b(?:which|what) (?:organi[sz]ation|agency|company|department|committee|body|institution"
                     r"|university|school|team|party|club|group|firm|ministry)\b"),
    # "which People's Committee" names a body, not a person
    ("person", rf"\b(?:who|whom|whose|(?:which|what) (?:[\w-]+ )?(?:{_alt(_EN_PERSON_NOUNS)})s?)\b(?!['’]s)"),
    ("number", r"\b(?:how (?:many|much|long|far|old|big|large|high)|what (?:percentage|percent|number|proportion"
               r"|rank|amount|share)|how many|(?:which|what) (?:[\w-]+ )?number"
               # "what was Warsaw's population", "what is the average family size": a quantity noun heads the
               # words after "what is" (no preposition or clause between)
               rf"|what (?:is|was|are|were) (?:the |an? )?(?:(?!(?:{_alt(_LINKS)})\b)[\w'-]+ ){{0,5}}?"
               rf"(?:{_alt(_QUANTITY_NOUNS)})(?! called| named))\b"),
)


# A noun phrase that opens a question (or a clause after a comma) and is asked with "nào" names its kind by
# its head, its first word, which may stand up to three words before "nào" ("Nhà thơ người Đức nào …",
# "Hậu vệ Panther nào …"). Inside a question such a noun is often a verb's ("Sở Nội vụ tổ chức hội nghị
# nào" asks for the conference) and is not read. Only where no kind noun stands right before "nào":
# "Người dân tỉnh nào" asks for the province.
_HEAD_GAP = r"(?:\s+\w+){1,3}\s+nào\b"
_VI_HEADS: tuple[tuple[str, str], ...] = tuple(
    (kind, rf"(?:^|,\s*)(?:{_alt(nouns)}){_HEAD_GAP}") for kind, nouns in
    (("document", _DOC_NOUNS), ("place", _PLACE_NOUNS), ("organisation", _ORG_NOUNS), ("person", _PERSON_NOUNS)))


def _compile(rules, folded: bool):
    return tuple((kind, re.compile(fold(rx) if folded else rx)) for kind, rx in rules)


_VI = _compile(_VI_RULES, False)
_VI_FOLDED = _compile(_VI_RULES, True)
_VI_HEADS_EXACT = _compile(_VI_HEADS, False)
_VI_HEADS_FOLDED = _compile(_VI_HEADS, True)
_EN = _compile(_EN_RULES, False)


def expected_kind(question: str, english: bool) -> str:
    """The kind of answer the question asks for; "sentence" when its words do not say."""
    low = modern_tones(question.lower())
    rules = _EN if english else (_VI if has_diacritics(low) else _VI_FOLDED)
    text = low if not english and has_diacritics(low) else fold(low)
    found = _found(rules, text)
    if not found and not english:
        found = _found(_VI_HEADS_EXACT if has_diacritics(low) else _VI_HEADS_FOLDED, text)
    if not found:
        return "sentence"
    # the question word nearest the start wins ("Ai ... năm nào" asks who); ties go to the rule order
    return min(found)[2]


def _found(rules, text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), order, kind) for order, (kind, rx) in enumerate(rules) for m in [rx.search(text)] if m]
