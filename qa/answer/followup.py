"""Follow-up questions: complete a question that leaves something out from the earlier turns.

- "Còn Sơn La thì sao?", "Năm 2019 thì sao?", "What about Son La?": the earlier question with the
  entity of the same kind replaced (or added when it had none).
- "tỉnh đó", "nghị quyết đó", "that resolution", "there": the entity of that kind from before.
- A question that names no province and no document, after one that did, is about the same one:
  "Tụt bao nhiêu bậc so với năm 2020?" after a question about Hà Nam's PAR Index.
- A question that names its own province or document is self-contained and left as it is.
- "hội nghị đó", "that conference": the noun's phrase from the earlier question; "Còn tỷ lệ hộ cận
  nghèo?": the earlier question with its phrase of that head noun replaced.
- A word that only links a whole question to the chat ("Còn ai là …?", "And who …?") is dropped.
"""

from __future__ import annotations

import re

from .. import register
from ..lang import is_english
from ..text import find_word, fold, has_diacritics, tokens
from .entities import DOC_KIND, Entity, of_question

_LEAD = re.compile(r"^\s*(?:thế còn|vậy còn|còn|thế|vậy|and what about|what about|how about|and|but|also)\b[\s,]*", re.I)
_TAIL = re.compile(r"[\s,]*(?:thì sao|thì thế nào|thì như thế nào|thế nào|ra sao|nữa|then|too|instead)?\s*[?.!]*\s*$",
                   re.I)
_LEAD_FOLDED = re.compile(r"^\s*(?:the con|vay con|con|the|vay|and what about|what about|how about|and|but|also)\b[\s,]*")
_TAIL_FOLDED = re.compile(r"[\s,]*(?:thi sao|thi the nao|thi nhu the nao|the nao|ra sao|nua|then|too|instead)?"
                          r"\s*[?.!]*\s*$")
# "<noun> đó": which kind of entity each noun refers back to (matched on folded text).
_ANAPHOR_NOUNS = {
    "tinh": "province", "thanh pho": "province", "dia phuong": "province",
    "nghi quyet": "document", "quyet dinh": "document", "ket luan": "document", "chi thi": "document",
    "van ban": "document", "ke hoach": "document", "chi so": "index", "nam": "year",
    "ong": "person", "ba": "person", "dong chi": "person", "nguoi": "person",
}
_ANAPHOR = re.compile(r"(?<!\w)(" + "|".join(sorted(map(re.escape, _ANAPHOR_NOUNS), key=len, reverse=True))
                      + r")\s+(?:do|nay|ay|noi tren|tren)(?!\w)")
_EN_ANAPHOR = re.compile(r"\b(?:that|this|the same|the said)\s+(province|city|resolution|decision|conclusion|directive"
                         r"|document|plan|index|year)\b|\b(there)\b", re.I)
_EN_KINDS = {"province": "province", "city": "province", "there": "province", "index": "index", "year": "year"}
_CARRIED = ("province", "document", "index", "person", "year")
# "<noun> đó" for what is no entity ("hội nghị đó", "kỳ họp này", "that conference"): the earlier question's
# phrase from that noun to its last name, number or date before the question word ("… hội nghị Ban Thường vụ
# Tỉnh ủy Lạng Sơn ngày 23/12/2020"). Vietnamese nouns of two syllables (folded text), English ones of one
# word after a demonstrative.
_THAT_VI = re.compile(r"(?<!\w)(\w+ \w+)\s+(?:do|nay|ay|noi tren)(?!\w)")
_THAT_EN = re.compile(r"\b(?:that|this|the same|the said)\s+(\w+)\b", re.I)
_NOT_NOUN = frozenset("trong sau truoc khi luc do vi tu den nhu boi theo ve cua tai voi cho la co va hay hien "
                      "in on at of for by with from to after before since".split())
# question words (folded): those that may follow a noun to ask which one it is ("kết luận nào"), and the others
_WHICH = "nao|gi|may|bao nhieu"
_ASKING = re.compile(rf"(?<!\w)(?:ai|{_WHICH}|dau|sao|who|what|which|when|where|why|how)(?!\w)")
_WORD = re.compile(r"\w[\w/.-]*\w|\w")
# where a noun's phrase in a question ends and the rest of the question goes on (folded text)
_PHRASE_END = re.compile(r"(?<!\w)(?:cua|nam|tai|o|trong|so voi|la|duoc|da|dat|co|giam|tang|xep|thuoc|ve)(?!\w)")
_ARTICLE = re.compile(r"\b(?:the|a|an)\s+(?:\S+\s+){0,5}$", re.I)
# A word that links a whole question to the chat ("Còn ai là …?", "And who …?"); "Còn bao nhiêu …" (how many
# remain) is no link. Typed without diacritics "con" is also a classifier ("con sông nào"): only before "ai"….
_LINK = re.compile(r"^\s*(?:(?:thế|vậy)\s+)?(?:còn|và|and|but|also)\b[\s,]+(?!(?:bao nhiêu|mấy|lại|nữa|sao)\b)",
                   re.I)
_LINK_FOLDED = re.compile(r"^\s*(?:(?:the|vay)\s+con|con(?=\s+(?:ai|khi nao|o dau|bao gio|ngay nao|nam nao)\b)"
                          r"|and|but|also)\b[\s,]+")
_QUESTION_SHAPE = frozenset(fold(w) for w in "thì sao thế nào ra sao còn what about how and then".split())


def _strip_markers(question: str) -> tuple[str, bool]:
    """The question without "còn … thì sao" / "what about …" and whether it had them."""
    folded = fold(question)
    if folded == question.lower():  # typed without diacritics
        lead, tail = _LEAD_FOLDED.match(folded), _TAIL_FOLDED.search(folded)
    else:
        lead, tail = _LEAD.match(question), _TAIL.search(question)
    a = lead.end() if lead else 0
    b = tail.start() if tail else len(question)
    marked = bool(lead and lead.end()) or bool(tail and question[tail.start():].strip(" ?.!"))
    return question[a:max(a, b)], marked


def _unmarked(question: str) -> str:
    """A whole question without the word that links it to the conversation ("Còn ai là …?", "And who
    is …?" → "Ai là …?", "Who is …?"): such a word is no part of what is asked, and the answer's
    gate would count it as a word no passage holds. "Còn bao nhiêu …" (how many remain) keeps it."""
    m = (_LINK if has_diacritics(question) else _LINK_FOLDED).match(question if has_diacritics(question)
                                                                     else question.lower())
    if not m or not _ASKING.search(fold(question[m.end():])):
        return question
    rest = question[m.end():]
    return rest[:1].upper() + rest[1:]


def _names_new_document(folded: str) -> bool:
    """Whether the question speaks of a document other than the one asked for ("Còn nghị quyết giai
    đoạn 2016-2020…"), not merely asks which document it is ("Kết luận nào…", "which conclusion…")."""
    asked = register.asked_kind_words(folded)
    return any(not any(a <= m.start() and m.end() <= b for a, b in asked) for m in DOC_KIND.finditer(folded))


def _content_words(text: str, named: tuple[Entity, ...]) -> list[str]:
    """Words of the text that are not an entity's and not a question's shape."""
    covered = {t for e in named for t in tokens(e.surface)}
    return [t for t in tokens(text) if t not in covered and fold(t) not in _QUESTION_SHAPE]


def _replace(text: str, old: Entity, new: Entity) -> str:
    if not (old.surface and old.surface in text):
        return _add(text, [new])
    at = text.index(old.surface)
    surface = new.surface
    kind = DOC_KIND.match(fold(surface))
    if kind and DOC_KIND.search(fold(text[max(0, at - 14):at]) + " "):  # "Quyết định 456-QĐ/TU" → "Quyết định 457"
        surface = surface[kind.end():].strip()
    return text[:at] + surface + text[at + len(old.surface):]


# What an earlier turn brings to a follow-up, written after it: "Hội nghị đó … (Lạng Sơn, 57-NQ/TU)?"
_CARRIED_TAIL = re.compile(r" \(([^()]*)\)\?$")


def _add(text: str, named: list[Entity]) -> str:
    if not named:
        return text
    body = text.rstrip().rstrip("?.! ")
    return f"{body} ({', '.join(e.surface or e.name for e in named)})?"


def carried(resolved: str) -> tuple[Entity, ...]:
    """The entities a resolved follow-up took from the earlier turns as its context (the tail `_add` wrote)."""
    m = _CARRIED_TAIL.search(resolved)
    return of_question(m.group(1)) if m else ()


def _that_phrase(question: str, prev: str, replaced: set[str]) -> str:
    """ "Hội nghị đó …", "that conference …": the noun with the rest of its phrase in the earlier question;
    the kinds of entity the phrase brings are added to `replaced` (not carried again)."""
    english = is_english(question)
    pattern = _THAT_EN if english else _THAT_VI
    text, fprev = question, fold(prev)
    for m in list(pattern.finditer(text if english else fold(text)))[::-1]:
        noun = fold(m.group(1))
        if noun in _ANAPHOR_NOUNS or noun.lower() in _EN_KINDS or _NOT_NOUN & set(noun.split()):
            continue
        at = find_word(fprev, noun)
        if not at:
            continue
        start = at.start()
        if english and (lead := _ARTICLE.search(prev[:start])):
            start = lead.start()
        stop = _ASKING.search(fprev, at.end())
        # the phrase runs to its last name, number or date: the predicate of the question comes after
        anchors = [w.end() for w in _WORD.finditer(prev, at.end(), stop.start() if stop else len(prev))
                   if w.group()[0].isupper() or any(c.isdigit() for c in w.group())]
        if not anchors:
            continue
        phrase = prev[start:at.start()] + text[m.start(1):m.end(1)] + prev[at.end():anchors[-1]]
        text = text[:m.start()] + phrase + text[m.end():]
        replaced |= {e.kind for e in of_question(phrase)}
    return text


def _swap_phrase(core: str, prev: str, before: tuple[Entity, ...]) -> str | None:
    """The earlier question with its phrase of the same head noun ("chỉ số …") replaced by the
    follow-up's ("Còn chỉ số Xây dựng đội ngũ …?"): the phrase ends where the earlier question goes
    on (its "của", "năm", an entity, a verb such as "giảm"/"đạt", or its question word). None when
    the earlier question has no phrase of that head."""
    if _ASKING.search(fold(core)):  # a question of its own ("And who is …?"), not a bare phrase
        return None
    head = " ".join(fold(core).split()[:2])
    fprev = fold(prev)
    at = find_word(fprev, head) if len(head.split()) == 2 else None
    if not at:
        return None
    ends = [m.start() for m in (_PHRASE_END.search(fprev, at.end()), _ASKING.search(fprev, at.end())) if m]
    ends += [i for e in before if e.surface and (i := prev.find(e.surface, at.end())) >= 0]
    end = min(ends, default=len(prev.rstrip().rstrip("?.! ")))
    if fold(prev[at.start():end]).strip() == fold(core).strip():
        return None
    new = core.strip(" ,")
    if at.start() == 0:
        new = new[:1].upper() + new[1:]
    return f"{prev[:at.start()]}{new} {prev[end:].lstrip()}".rstrip()


def resolve(question: str, history: list[str] | tuple[str, ...] = ()) -> str:
    """The question made self-contained from the earlier questions (oldest first)."""
    history = [h for h in history if h and h.strip()]
    if not history:
        return _unmarked(question)
    prev = resolve(history[-1], history[:-1])
    before, now = of_question(prev), of_question(question)
    core, marked = _strip_markers(question)
    if marked and not now and (swapped := _swap_phrase(core, prev, before)):
        return swapped  # "Còn chỉ số Xây dựng đội ngũ …?" after "Chỉ số thành phần Hiện đại hóa … giảm bao nhiêu bậc?"
    if not before:
        return _that_phrase(_unmarked(question), prev, set())
    if marked and len(_content_words(core, now)) <= (0 if not now else 2):
        # "Còn Sơn La thì sao?": the earlier question about the new entity
        out = prev
        for e in now:
            same = [b for b in before if b.kind == e.kind]
            out = _replace(out, same[0], e) if same else _add(out, [e])
        return out
    own = {e.kind for e in now}
    out, replaced = _unmarked(question), set()
    folded = fold(out)
    for m in list(_ANAPHOR.finditer(folded))[::-1]:
        kind = _ANAPHOR_NOUNS[m.group(1)]
        same = [b for b in before if b.kind == kind]
        if same and kind not in own:
            noun = out[m.start():m.start() + len(m.group(1))]
            keep = "" if fold(same[0].surface).startswith(m.group(1)) else f"{noun} "
            out = out[:m.start()] + keep + same[0].surface + out[m.end():]
            replaced.add(kind)
    if is_english(question):
        for m in list(_EN_ANAPHOR.finditer(out))[::-1]:
            noun = (m.group(1) or m.group(2)).lower()
            kind = _EN_KINDS.get(noun, "document")
            same = [b for b in before if b.kind == kind]
            if same and kind not in own:
                out = out[:m.start()] + ("in " if noun == "there" else "") + same[0].surface + out[m.end():]
                replaced.add(kind)
    out = _that_phrase(out, prev, replaced)
    if own & {"province", "document"}:  # it names its own place or document: self-contained
        return out
    new_document = _names_new_document(fold(question)) and "document" not in replaced  # "nghị quyết giai đoạn…"
    carried = [b for b in before if b.kind in _CARRIED and b.kind not in own | replaced
               and not (b.kind == "document" and new_document)]
    return _add(out, carried)
