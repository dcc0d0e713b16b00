"""Hits → Answer: the sentence(s) that best answer the question, with numbered citations."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import provinces
from .records import Answer, Article, Citation, Hit
from .retrieve import Query, coverage, is_question_word
from .text import fold, sentence_spans, terms

NOT_FOUND = "Không tìm thấy thông tin trả lời câu hỏi này trong các bài viết đã nạp."
_CODE = re.compile(r"\d")
_ASKS_PROVINCE = re.compile(r"\b(tinh nao|tinh gi|dia phuong nao|which province|what province|which provinces)\b")


@dataclass(frozen=True)
class Sentence:
    citation: int  # 1-based citation number
    start: int
    end: int
    text: str
    score: float


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
        ))
    return out


def relevance(q: Query, hits: list[Hit], articles: dict[str, Article]) -> float:
    """How well the best of the top passages matches the question, 0..1 (topic-token coverage or cosine)."""
    best = 0.0
    for hit in hits[:3]:
        meta = articles[hit.chunk.article_id].meta
        cov = coverage(q.text, " ".join((hit.chunk.text, meta.title, *meta.provinces)))
        best = max(best, cov, hit.cosine - 0.1 if hit.cosine is not None and cov == 0 else 0.0)
    return best


def _score_sentences(q: Query, citations: list[Citation], texts: dict[str, str], top: int) -> list[Sentence]:
    weight: dict[str, float] = {}
    for tok, w in zip(q.folded, q.weights):
        if not is_question_word(tok):
            weight[tok] = max(weight.get(tok, 0.0), w * (2.0 if _CODE.search(tok) else 1.0))
    total = sum(weight.values()) or 1.0
    out = []
    for cit in citations[:top]:
        text = texts[cit.article_id]
        prior = 0.15 / cit.n
        for a, b in sentence_spans(text, cit.start, cit.end):
            found = {fold(t) for t in terms(text[a:b])}
            score = sum(w for tok, w in weight.items() if tok in found) / total
            out.append(Sentence(cit.n, a, b, text[a:b], score + prior))
    return sorted(out, key=lambda s: -s.score)


def _lead(q: Query, best: Sentence, citations: list[Citation], texts: dict[str, str]) -> str:
    """For "which province" questions, name the province the cited passage is about."""
    if not _ASKS_PROVINCE.search(fold(q.text)):
        return ""
    cit = citations[best.citation - 1]
    text = texts[cit.article_id]
    named = provinces.find(text[max(0, cit.start - 300) : cit.end]) or ([cit.province] if cit.province else [])
    return f"{named[0]}: " if named else ""


def compose(
    q: Query,
    hits: list[Hit],
    articles: dict[str, Article],
    min_relevance: float,
    rescore: Callable[[str, list[str]], np.ndarray] | None = None,
) -> Answer:
    """An extractive answer from the hits, or a plain "not found" when they do not match the question."""
    citations = make_citations(hits, articles)
    if not citations or relevance(q, hits, articles) < min_relevance:
        return Answer(q.text, NOT_FOUND, tuple(citations), found=False)
    texts = {a.id: a.text for a in articles.values()}
    sentences = _score_sentences(q, citations, texts, top=3)
    if rescore is not None and sentences and sentences[0].score < 0.5:
        # few words in common (an English or paraphrased question): let the embedder choose
        pool = [s for s in sentences if s.citation <= 2][:6]
        sims = rescore(q.text, [s.text for s in pool])
        sentences = sorted(
            (Sentence(s.citation, s.start, s.end, s.text, float(sim) + 0.15 / s.citation) for s, sim in zip(pool, sims)),
            key=lambda s: -s.score,
        )
    best = sentences[0]
    used = [best]
    for s in sentences[1:]:
        if s.citation != best.citation and s.score >= 0.9 * best.score and s.text != best.text:
            used.append(s)
            break
    text = _lead(q, best, citations, texts) + " ".join(f"{s.text} [{s.citation}]" for s in used)
    return Answer(q.text, text, tuple(citations), True, tuple((s.citation, s.start, s.end) for s in used))
