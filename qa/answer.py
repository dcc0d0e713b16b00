"""Hits → Answer: the sentence(s) that best answer the question, with numbered citations."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import provinces
from .records import Answer, Article, Citation, Hit
from .retrieve import Query, is_question_word
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


def relevance(q: Query, hits: list[Hit], articles: dict[str, Article], idf: Callable[[str], float]) -> float:
    """Share of the question's distinctive terms (IDF-weighted, folded) found in one of the top passages, 0..1.

    A word the articles never use weighs the most, so "Giá vàng SJC" is not answered by a passage
    that merely shares "giá". Unseen word pairs and English words the articles never use are left
    out (an English question is judged on its numbers, names and the Vietnamese of its admin terms).
    """
    unseen = idf("\x00")
    weights: dict[str, float] = {}
    for term, w in zip(q.folded, q.weights):
        value = idf(term)
        if value >= unseen and ("_" in term or (q.english and w == 1.0)):
            continue  # a word pair, or an English word, the articles never use says nothing either way
        weights[term] = max(weights.get(term, 0.0), w * value)
    total = sum(weights.values())
    if not total:
        return 0.0
    best = 0.0
    for hit in hits[:3]:
        meta = articles[hit.chunk.article_id].meta
        have = {fold(t) for t in terms(" ; ".join((hit.chunk.text, meta.title, *meta.provinces)))}
        best = max(best, sum(v for t, v in weights.items() if t in have) / total)
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
    idf: Callable[[str], float],
    min_relevance: float,
    min_cosine_english: float = 0.0,
    rescore: Callable[[str, list[str]], np.ndarray] | None = None,
) -> Answer:
    """An extractive answer from the hits, or a plain "not found" when they do not match the question.

    English questions share few words with Vietnamese articles, so they must also be close in meaning
    (cosine of the best dense hit) before an answer is given.
    """
    citations = make_citations(hits, articles)
    cosine = max((h.cosine for h in hits if h.cosine is not None), default=1.0)
    if (not citations or relevance(q, hits, articles, idf) < min_relevance
            or (q.english and cosine < min_cosine_english)):
        return Answer(q.text, NOT_FOUND, tuple(citations), found=False)
    texts = {a.id: a.text for a in articles.values()}
    sentences = _score_sentences(q, citations, texts, top=3)
    lexical_choice = bool(sentences) and sentences[0].score >= 0.5
    if rescore is not None and sentences and not lexical_choice:
        # few words in common (an English or paraphrased question): let the embedder choose
        pool = [s for s in sentences if s.citation <= 2][:6]
        sims = rescore(q.text, [s.text for s in pool])
        sentences = sorted(
            (Sentence(s.citation, s.start, s.end, s.text, float(sim) + 0.15 / s.citation) for s, sim in zip(pool, sims)),
            key=lambda s: -s.score,
        )
    best = sentences[0]
    used = [best]
    for s in sentences[1:] if lexical_choice else ():  # a second passage only when it matches as well
        if s.citation != best.citation and s.score >= 0.9 * best.score and s.text != best.text:
            used.append(s)
            break
    text = _lead(q, best, citations, texts) + " ".join(f"{s.text} [{s.citation}]" for s in used)
    return Answer(q.text, text, tuple(citations), True, tuple((s.citation, s.start, s.end) for s in used))
