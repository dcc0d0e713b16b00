"""Hits → Answer: the passages about what the question names, the sentence that answers it, the
short answer inside that sentence, or a plain "not found" that says what is missing."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import provinces
from ..records import Answer, Article, Citation, Hit, Quote, Span
from ..text import fold, terms
from . import entities, select, spans
from .kinds import expected_kind

NOT_FOUND = "Không tìm thấy thông tin trả lời câu hỏi này trong các bài viết đã nạp."
GATE_FEATURES = ("relevance", "sentence_overlap", "sentence_dense", "top_cosine", "lexical_first", "margin",
                 "has_kind", "unseen", "missing_rare", "bias")


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
    return {fold(t) for t in terms(" ; ".join((text, meta.title, *meta.provinces)))}


def _near(c: select.Scored, text: str, before: int = 400) -> str:
    """The sentence with what comes just before it in its article."""
    return text[max(0, c.start - before):c.end]


def _missing(qt: select.QuestionTerms, best: select.Scored, articles: dict[str, Article],
             unseen_idf: float) -> tuple[float, float]:
    """Share (IDF-weighted) of the question's words no article uses, and the rarest question word
    missing from the chosen passage (its IDF relative to an unseen word's)."""
    total = sum(qt.weights.values()) or 1.0
    unseen = sum(w for w in qt.weights.values() if w >= unseen_idf * (1 - 1e-9)) / total
    have = _passage_terms(best.citation.text, articles[best.citation.article_id])
    rarest = max((w for t, w in qt.weights.items() if t not in have), default=0.0)
    return unseen, rarest / (unseen_idf or 1.0)


def _province_span(article: Article, before: int) -> Span | None:
    """The article's own province, at its mention nearest before the sentence (or its first)."""
    found = provinces.spans(article.text)
    if not found:
        return None
    main = article.meta.provinces[0] if article.meta.provinces else found[0][2]
    mentions = [(a, b) for a, b, name in found if name == main] or [(a, b) for a, b, _ in found]
    a, b = max((m for m in mentions if m[0] < before), default=mentions[0])
    return Span(article.id, a, b, article.text[a:b])


def short_answer(kind: str, best: select.Scored, article: Article, qt: select.QuestionTerms) -> Span | None:
    """The span of the expected kind inside the chosen sentence (a place may be the article's province)."""
    if kind == "sentence":
        return None
    found = spans.choose(kind, best.text, qt.words)
    if found:
        a, b = best.start + found[0], best.start + found[1]
        return Span(article.id, a, b, article.text[a:b])
    if kind == "place":
        return _province_span(article, best.start)
    return None


def gate_probability(gate: dict, feats: tuple[float, ...]) -> float:
    """The fitted gate's probability that an answer with these features is right."""
    z = float(np.dot(np.asarray(gate["weights"]), feats))
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _not_found(named: tuple[entities.Entity, ...]) -> str:
    """ "Not found", naming what the question asked about when it named something."""
    return entities.not_found_sentence(named) if named else NOT_FOUND


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
    qualified = [h for h in hits if not entities.missing(named, articles[h.chunk.article_id], h.chunk.text)]
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
        ranked = [c for c in ranked if not entities.missing(years, articles[c.citation.article_id],
                                                            _near(c, articles[c.citation.article_id].text))]
    if not ranked:
        return Answer(question, _not_found(named), (), False, related=related, answer_type=kind)
    best = ranked[0]
    at = {name: i for i, name in enumerate(select.FEATURES)}
    top_cosine = max((h.cosine for h in qualified[:1] if h.cosine is not None), default=0.0)
    margin = best.score - ranked[1].score if len(ranked) > 1 else 1.0
    feats = (relevance(qt, qualified, articles, unseen_idf), best.features[at["overlap"]],
             best.cosine if best.cosine is not None else top_cosine,
             top_cosine, 1.0 if qualified[0].ranks.get("lexical") == 1 else 0.0, min(margin, 1.0),
             best.features[at["kind"]], *_missing(qt, best, articles, unseen_idf), 1.0)
    gate = weights["gate"][group]
    probability = gate_probability(gate, feats)
    if observe:
        observe(Decision(feats, probability))
    threshold = gate["threshold"] if min_confidence is None else min_confidence
    if probability < threshold:
        return Answer(question, _not_found(named), (), False, related=related, answer_type=kind,
                      confidence=probability)
    article = articles[best.citation.article_id]
    short = short_answer(kind, best, article, qt)
    quoted = sorted([best, *neighbour(ranked, float(weights["sentence"][group].get("pair_margin", 0.0)))],
                    key=lambda c: c.start)
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
