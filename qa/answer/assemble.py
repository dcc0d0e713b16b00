"""Hits → Answer: the passages about what the question names, the sentence that answers it, the
short answer inside that sentence, or a plain "not found" that says what is missing."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import provinces, register
from ..records import Answer, Article, Citation, Hit, Quote, Span
from ..text import fold, sentence_spans, terms
from . import entities, followup, offices, select, spans
from .kinds import expected_kind

NOT_FOUND = "Không tìm thấy thông tin trả lời câu hỏi này trong các bài viết đã nạp."
# What the "not found" gate reads, each with the sign its weight must have: +1 when more of it can only
# make a right answer likelier (coverage of the question, a retriever's confidence), -1 when it can only
# make it less likely (question words no passage holds), 0 when either is possible. The fit keeps these
# signs (scripts/fit_answers.py), so that correlated features cannot cancel each other with weights of
# opposite signs that hold on the fitting set only.
GATE_FEATURES = {"relevance": 1, "sentence_overlap": 1, "sentence_dense": 1, "top_cosine": 1, "lexical_first": 1,
                 "margin": 1, "has_kind": 1, "unseen": -1, "missing_rare": -1, "quoted_overlap": 1,
                 "quoted_missing": -1, "window_overlap": 1, "window_missing": -1, "question_terms": 0,
                 "cosine_gap": 1, "lexical_rank": 1, "dense_rank": 1, "pool_z": 1, "pool_gap": 1, "bias": 0}
WINDOW = 300  # characters either side of the quote that the window features read
Asked = tuple[offices.Office, frozenset[str]]  # an office a person question asks about, and the provinces it names


@dataclass(frozen=True)
class Decision:
    """What compose saw when it decided: the gate's features, for calibration scripts."""

    features: tuple[float, ...]
    probability: float


def make_citations(hits: list[Hit], articles: dict[str, Article]) -> list[Citation]:
    """One numbered citation per hit, carrying its article's metadata."""
    out = []
    for n, hit in enumerate(hits, start=1):
        art = articles[hit.chunk.article_id]
        c = hit.chunk
        out.append(Citation(
            n=n, article_id=art.id, file=art.file, title=art.meta.title, source=art.meta.source,
            date=art.meta.date, province=art.meta.provinces[0] if art.meta.provinces else None,
            start=c.start, end=c.end, text=c.text, score=round(float(hit.score), 6),
            page=art.meta.page_at(c.start), ocr=art.meta.ocr_within(c.start, c.end), url=art.meta.url,
        ))
    return out


def relevance(qt: select.QuestionTerms, hits: list[Hit], articles: dict[str, Article], unseen: float) -> float:
    """Share of the question's distinctive terms (IDF-weighted, folded) found in one of the top passages, 0..1.

    A word the articles never use weighs the most, so "Giá vàng SJC" is not answered by a passage
    that merely shares "giá"."""
    total = sum(qt.weights.values())
    if not total:
        return 0.0
    best = 0.0
    for hit in hits[:3]:
        have = _passage_terms(hit.chunk.text, articles[hit.chunk.article_id])
        best = max(best, sum(v for t, v in qt.weights.items() if t in have) / total)
    return best


def _passage_terms(text: str, article: Article) -> set[str]:
    """The folded terms of a passage with its article's title and provinces."""
    meta = article.meta
    return _folded_terms(" ; ".join((text, meta.title, *meta.provinces)))


def _near(c: select.Scored, text: str, before: int = 400) -> str:
    """The sentence with what comes just before it in its article."""
    return text[max(0, c.start - before):c.end]


def _year_fits(years: tuple[entities.Entity, ...], c: select.Scored, article: Article,
               indices: frozenset[str] = frozenset()) -> bool:
    """Whether a sentence may answer a question about these years (and `indices`). Where the sentence
    gives the year of an index asked ("(PAPI) tỉnh Hà Nam năm 2021 …, giải pháp cho năm 2022"), that
    year decides. Else the nearest text that names years decides: the sentence, else the text just
    before it; naming years but none of these, it is about those others (a 2022 article's sentence on
    the 2021 index does not answer for 2022); naming only periods, one of them must hold a year asked
    ("giai đoạn 2011 – 2020" does not answer for 2021). Only where neither names a year does the
    article's date count."""
    asked = {y for e in years for y in e.keys}
    tied = entities.index_years(c.text, indices)
    if tied:
        return bool(asked & tied)
    for text in (c.text, _near(c, article.text)):
        own = entities.single_years(text)
        if own:
            return bool(asked & own)
        spans_of = entities.periods(text)  # only periods: one of them must hold a year asked
        if spans_of:
            return any(a <= int(y) <= b for y in asked if y.isdigit() for a, b in spans_of)
    return not entities.missing(years, article, c.text)


def _missing(qt: select.QuestionTerms, best: select.Scored, articles: dict[str, Article],
             unseen_idf: float) -> tuple[float, float]:
    """Share (IDF-weighted) of the question's words no article uses, and the rarest question word
    missing from the chosen passage (its IDF relative to an unseen word's)."""
    total = sum(qt.weights.values()) or 1.0
    unseen = sum(w for w in qt.weights.values() if w >= unseen_idf * (1 - 1e-9)) / total
    return unseen, _coverage(qt, _passage_terms(best.citation.text, articles[best.citation.article_id]), unseen_idf)[1]


def _coverage(qt: select.QuestionTerms, have: set[str], unseen_idf: float) -> tuple[float, float]:
    """Share (IDF-weighted) of the question's words in `have`, and the rarest one missing from it
    (its IDF relative to an unseen word's)."""
    total = sum(qt.weights.values()) or 1.0
    share = sum(w for t, w in qt.weights.items() if t in have) / total
    rarest = max((w for t, w in qt.weights.items() if t not in have), default=0.0)
    return share, rarest / (unseen_idf or 1.0)


def _folded_terms(text: str) -> set[str]:
    return {fold(t) for t in terms(text)}


def gate_features(qt: select.QuestionTerms, hits: list[Hit], qualified: list[Hit], ranked: list[select.Scored],
                  quoted: list[select.Scored], articles: dict[str, Article], unseen_idf: float) -> tuple[float, ...]:
    """What the "not found" gate reads (GATE_FEATURES): how much of the question the top passages, the
    chosen passage, the quote and the text around it hold, how sure each retriever was of the chosen
    passage, and, for questions whose sentences were embedded, how far the quote stands out."""
    best = ranked[0]
    at = {name: i for i, name in enumerate(select.FEATURES)}
    top_cosine = max((h.cosine for h in qualified[:1] if h.cosine is not None), default=0.0)
    margin = best.score - ranked[1].score if len(ranked) > 1 else 1.0
    article = articles[best.citation.article_id]
    first = quoted[0]
    window = article.text[max(0, first.start - WINDOW):first.end + WINDOW]
    # a news sentence seldom repeats its article's province, which the metadata (and the entity rule) vouch for
    province = _folded_terms(" ; ".join(article.meta.provinces))
    cosines = [h.cosine for h in hits[:2] if h.cosine is not None]
    chosen = qualified[best.citation.n - 1]
    lexical, dense = chosen.ranks.get("lexical", 0), chosen.ranks.get("dense", 0)
    pool = np.array([c.cosine for c in ranked if c.cosine is not None])
    spread = float(pool.std()) if len(pool) else 0.0
    own = best.cosine if best.cosine is not None else 0.0
    return (relevance(qt, qualified, articles, unseen_idf), best.features[at["overlap"]],
            best.cosine if best.cosine is not None else top_cosine,
            top_cosine, 1.0 if qualified[0].ranks.get("lexical") == 1 else 0.0, min(margin, 1.0),
            best.features[at["kind"]], *_missing(qt, best, articles, unseen_idf),
            *_coverage(qt, _folded_terms(" ".join(c.text for c in quoted)) | province, unseen_idf),
            *_coverage(qt, _folded_terms(window) | province, unseen_idf), math.log1p(len(qt.weights)),
            cosines[0] - cosines[1] if len(cosines) > 1 else 0.0, 1.0 / lexical if lexical else 0.0,
            1.0 / dense if dense else 0.0, (own - pool.mean()) / (spread + 1e-6) if spread > 0 else 0.0,
            own - pool.max() if len(pool) else 0.0, 1.0)


def _province_span(article: Article, before: int) -> Span | None:
    """The article's own province, at its mention nearest before the sentence (or its first)."""
    found = provinces.spans(article.text)
    if not found:
        return None
    main = article.meta.provinces[0] if article.meta.provinces else found[0][2]
    mentions = [(a, b) for a, b, name in found if name == main] or [(a, b) for a, b, _ in found]
    a, b = max((m for m in mentions if m[0] < before), default=mentions[0])
    return Span(article.id, a, b, article.text[a:b])


def short_answer(kind: str, start: int, end: int, article: Article, qt: select.QuestionTerms,
                 named: tuple[entities.Entity, ...] = (), office: Asked | None = None,
                 doc_kind: str | None = None) -> Span | None:
    """The span of the expected kind inside the chosen sentence `article.text[start:end]` (a place may
    be the article's province). Only the best sentence: when a neighbour is quoted beside it, its
    names mislead more often than they help (0.5.0, 2026-12-02, XQuAD person questions: EM 47 against
    35 % on the report half). `named`: the question's entities (the year and index asked, and the
    province, document and index words that only say which passage); `office`: the office a person
    question asks about, whose holder the answer must be; `doc_kind`: the kind of document a document
    question asks for ("which directive"), where the sentence cites one of it."""
    if kind == "sentence":
        return None
    text = article.text[start:end]
    about = entities.of_asked(text, named)
    allowed = []  # spans the answer must be one of: the office's holders, the numbers of the kind asked
    if office:
        allowed.append(set(offices.holders(text, *office)))
    if doc_kind and (of_kind := register.kind_spans(text, doc_kind)):
        allowed.append(of_kind)
    if allowed:
        asked = about
        about = lambda a, b: all((a, b) in s for s in allowed) and (asked is None or asked(a, b))  # noqa: E731
    found = spans.choose(kind, text, qt.weights, qt.pairs, about, entities.context_words(named))
    if found:
        a, b = start + found[0], start + found[1]
        return Span(article.id, a, b, article.text[a:b])
    if kind == "place":
        return _province_span(article, start)
    if kind == "date":
        return _dateline_span(article, start)
    return None


def _dateline_span(article: Article, before: int) -> Span | None:
    """For a date question whose sentence names no date: the dateline of the nearest sentence before it
    that has one ("Sáng 20/4/2021, Ban Thường vụ Tỉnh ủy tổ chức hội nghị …"), the day of the event the
    news article reports and its later sentences go on about ("hội nghị đã xem xét …")."""
    for a, _ in reversed(sentence_spans(article.text, 0, before)):
        found = spans.dateline(article.text[a:before])
        if found:
            return Span(article.id, a + found[0], a + found[1], article.text[a + found[0]:a + found[1]])
    return None


def gate_probability(gate: dict, feats: tuple[float, ...]) -> float:
    """The fitted gate's probability that an answer with these features is right."""
    if len(gate["weights"]) != len(feats):
        raise ValueError("the answer weights were fitted for other gate features; rerun scripts/fit_answers.py")
    z = float(np.dot(np.asarray(gate["weights"]), feats))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _not_found(named: tuple[entities.Entity, ...], office: Asked | None = None) -> str:
    """ "Not found", naming what the question asked about when it named something."""
    if office:
        return f"Các bài viết đã nạp không nêu ai là {office[0].name}."
    return entities.not_found_sentence(named) if named else NOT_FOUND


def asked_office(kind: str, question: str, english: bool) -> Asked | None:
    """The state or Party office a person question asks about, with the provinces it names (and the
    others of the same post-2025 unit), or None."""
    office = offices.of_question(question, english) if kind == "person" else None
    if not office:
        return None
    names = provinces.find(question)
    return office, frozenset(names) | {old for name in names for old in provinces.related(name)}


@dataclass(frozen=True)
class Prepared:
    """The passages an answer may come from, and their candidate sentences with cheap features."""

    kind: str
    named: tuple[entities.Entity, ...]
    qualified: list[Hit]
    citations: list[Citation]
    related: tuple[Citation, ...]
    candidates: list[select.Scored]


def prepare(question: str, q_english: bool, qt: select.QuestionTerms, hits: list[Hit],
            articles: dict[str, Article], k: int) -> Prepared:
    """Keep the hits whose passage names what the question names; score their sentences' cheap features."""
    kind = expected_kind(question, q_english)
    named = entities.of_question(question)
    # the article must name these, not the passage: a day (an event's later sentences do not repeat its
    # date), and a document an earlier turn brought as the conversation's context ("that meeting", which
    # reviewed it: "Which session was that meeting?")
    context = {(e.kind, e.name) for e in followup.carried(question) if e.kind == "document"}
    loose = tuple(e for e in named if e.kind in ("day", "country") or (e.kind, e.name) in context)
    strict = tuple(e for e in named if e not in loose)
    qualified = [h for h in hits if not entities.missing(strict, articles[h.chunk.article_id], h.chunk.text)
                 and not entities.missing(loose, articles[h.chunk.article_id], articles[h.chunk.article_id].text)]
    citations = make_citations(qualified[:k], articles)
    texts = {a.id: a.text for a in articles.values()}
    return Prepared(kind, named, qualified, citations, tuple(make_citations(hits[:k], articles)),
                    select.candidates(qt, kind, citations, qualified, texts))


def compose(
    question: str,
    q_english: bool,
    qt: select.QuestionTerms,
    hits: list[Hit],
    articles: dict[str, Article],
    unseen_idf: float,
    rescore: Callable[[list[str]], np.ndarray] | None,
    k: int,
    weights: dict,
    min_confidence: float | None = None,
    observe: Callable[[Decision], None] | None = None,
) -> Answer:
    """An extractive answer from the hits, or "not found" when no passage about the question's
    entities answers it well enough (the fitted gate's probability below `min_confidence`, by
    default the fitted threshold). `weights` come from `select.load_weights`."""
    group = "en" if q_english else "vi"
    p = prepare(question, q_english, qt, hits, articles, k)
    kind, named, qualified, citations, related = p.kind, p.named, p.qualified, p.citations, p.related
    if not qualified:
        return Answer(question, _not_found(named if hits else ()), (), False, related=related, answer_type=kind)
    ranked = select.rank(p.candidates, weights["sentence"][group], group, rescore)
    years = tuple(e for e in named if e.kind == "year")
    if years:  # a year must stand by the answer, not elsewhere in the passage ("giai đoạn 2015-2020")
        indices = frozenset(e.name for e in named if e.kind == "index")
        ranked = [c for c in ranked if _year_fits(years, c, articles[c.citation.article_id], indices)]
    office = asked_office(kind, question, q_english)
    if office:  # the answer is a holder of the office asked, not whoever is listed beside one
        ranked = [c for c in ranked if offices.holders(c.text, *office)]
    doc_kind = register.asked_kind(question) if kind == "document" else None
    if doc_kind:  # "which directive": a sentence citing one, where any does ("Luật nào" may be unnumbered)
        ranked = [c for c in ranked if register.kind_spans(c.text, doc_kind)] or ranked
    if not ranked:
        return Answer(question, _not_found(named, office), (), False, related=related, answer_type=kind)
    best = ranked[0]
    quoted = sorted([best, *neighbour(ranked, float(weights["sentence"][group].get("pair_margin", 0.0)))],
                    key=lambda c: c.start)
    feats = gate_features(qt, hits, qualified, ranked, quoted, articles, unseen_idf)
    gate = weights["gate"][group]
    probability = gate_probability(gate, feats)
    if observe:
        observe(Decision(feats, probability))
    threshold = gate["threshold"] if min_confidence is None else min_confidence
    if probability < threshold:
        return Answer(question, _not_found(named), (), False, related=related, answer_type=kind,
                      confidence=probability)
    short = short_answer(kind, best.start, best.end, articles[best.citation.article_id], qt, named, office, doc_kind)
    quotes = tuple(Quote(c.citation.n, c.citation.article_id, c.start, c.end, c.text) for c in quoted)
    lead = f"{short.text} — " if short else ""
    text = f"{lead}{' '.join(c.text for c in quoted)} [{best.citation.n}]"
    return Answer(question, text, tuple(citations), True, quotes, short, (), answer_type=kind,
                  confidence=probability)


def neighbour(ranked: list[select.Scored], margin: float) -> list[select.Scored]:
    """The runner-up sentence when it stands right next to the best one in the same passage and
    scores within `margin` of it (fitted): the quote then spans both, instead of guessing between them."""
    if len(ranked) < 2:
        return []
    best, second = ranked[0], ranked[1]
    text = best.citation.text
    gap = text[min(best.end, second.end) - best.citation.start:max(best.start, second.start) - best.citation.start]
    if second.citation.n == best.citation.n and best.score - second.score <= margin and not gap.strip():
        return [second]
    return []
