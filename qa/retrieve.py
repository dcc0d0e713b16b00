"""Question → Hits: lexical (exact + folded BM25) and dense (FAISS) search, fused (scaled scores by default, or RRF)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np

from . import expand, register, vectors
from .config import Settings
from .embed import Embedder
from .lang import is_english
from .records import Hit
from .store import IndexReader
from .text import fold, has_diacritics, normalize, tokens, words

# Question words carry no topic; dropped from lexical queries only (the index keeps every token).
_QUESTION_WORDS = (
    "nào gì ai đâu mấy bao nhiêu sao không là có được của và các những"
    " what which who whom whose when where why how many much is are was were did does do the a an"
    " of in on to for by with at as from"
).split()
QUESTION_WORDS = frozenset(_QUESTION_WORDS) | frozenset(fold(w) for w in _QUESTION_WORDS)


_POSSESSIVE = re.compile(r"(?<=\w)['’]s?(?!\w)")


def is_question_word(token: str) -> bool:
    """A question word as typed: with diacritics it must match exactly ("hà" is not "hả")."""
    return token in QUESTION_WORDS if not token.isascii() else fold(token) in QUESTION_WORDS


def iso_date(value: str) -> str:
    """A real calendar date written YYYY-MM-DD, or ValueError ("2021-13-45" is not one)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
    try:
        return dt.date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


@dataclass(frozen=True)
class Filters:
    """Restrict a search to articles by province (any of) and publication date range (ISO, inclusive)."""

    provinces: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None

    def active(self) -> bool:
        return bool(self.provinces or self.date_from or self.date_to)


@dataclass(frozen=True)
class Query:
    """A question prepared once for every retriever."""

    text: str
    tokens: list[str]
    folded: list[str]
    weights: list[float]
    typed_without_diacritics: bool
    english: bool = False
    documents: tuple[register.Named, ...] = ()  # document numbers the question names (their passages come first)

    @classmethod
    def parse(cls, question: str) -> Query:
        text = normalize(question).strip()
        english = is_english(text)
        # an English question's glossary terms count as typed, in Vietnamese; other expansions count less
        rest, typed = expand.translate(text) if english else (text, [])
        if english:  # "Ha Nam's" asks about Hà Nam: the possessive is no word of its own
            rest = _POSSESSIVE.sub("", rest)
        toks = [t for part in (rest, *typed) for t in _topic_terms(part)]
        weights = [1.0] * len(toks)
        for phrase in expand.expansions(" ; ".join((text, *typed)), glossary=not english):
            extra = _topic_terms(phrase)
            toks += extra
            weights += [expand.WEIGHT] * len(extra)
        return cls(text, toks, [fold(t) for t in toks], weights, not has_diacritics(text), english,
                   register.named(text))


def _topic_terms(text: str) -> list[str]:
    """Tokens and bigrams of a question, without question words ("nào", "bao nhiêu", "which")."""
    seq = words(text)
    keep = [t for t in tokens(text) if not is_question_word(t)]
    pairs = [f"{a}_{b}" for a, b in zip(seq, seq[1:]) if not (is_question_word(a) or is_question_word(b))]
    return keep + pairs


def rrf(rankings: dict[str, list[int]], weights: dict[str, float], k: int) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion: score(d) = Σ_r w_r / (k + rank_r(d)), ranks from 1; best first."""
    scores: dict[int, float] = {}
    for name, ranking in rankings.items():
        w = weights.get(name, 0.0)
        if w <= 0:
            continue
        for rank, doc in enumerate(ranking, start=1):
            scores[doc] = scores.get(doc, 0.0) + w / (k + rank)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))


def score_fusion(
    scores: dict[str, dict[int, float]], weights: dict[str, float], floors: dict[str, float] | None = None
) -> list[tuple[int, float]]:
    """Weighted sum of each retriever's scores scaled to 0..1 between its floor and its best score; best first.

    A retriever with a natural zero (BM25) passes floor 0; without one (cosine of e5, which crowds
    around 0.8) the floor is its lowest candidate. A document a retriever did not return adds 0.
    """
    floors = floors or {}
    fused: dict[int, float] = {}
    for name, by_doc in scores.items():
        w = weights.get(name, 0.0)
        if w <= 0 or not by_doc:
            continue
        hi = max(by_doc.values())
        lo = floors.get(name, min(by_doc.values()))
        span = (hi - lo) or 1.0
        for doc, value in by_doc.items():
            fused[doc] = fused.get(doc, 0.0) + w * (value - lo) / span
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))


class Retriever:
    """Searches one index snapshot with one embedder."""

    partial = False  # True when part of the index (a shard of a sharded one) could not be searched

    def __init__(self, index: IndexReader, embedder: Embedder | None, settings: Settings):
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self._query_vector: tuple[str | None, np.ndarray | None] = (None, None)

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """FAISS positions allowed by the filters (None = everything)."""
        if not filters.active():
            return None
        wanted = {fold(p) for p in expand.related_provinces(filters.provinces)}
        ids = []
        for art in self.index.catalogue():
            if wanted and not wanted & {fold(p) for p in art.meta.provinces}:
                continue
            date = art.meta.date or ""
            if (filters.date_from or filters.date_to) and not date[:4].isdigit():
                continue
            if filters.date_from and date < filters.date_from:
                continue
            if filters.date_to and date > filters.date_to:
                continue
            ids.append(art.id)
        return self.index.positions_of(ids) if ids else np.zeros(0, dtype=np.int64)

    def lexical(self, q: Query, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(position, BM25) best first, over exact plus folded terms (full weight for folded questions)."""
        lex = self.index.lexical
        return lex.top(self.lexical_parts(q), n, None if allowed is None else np.isin(lex.positions, allowed))

    def lexical_parts(self, q: Query) -> list[tuple[str, str, float]]:
        """(field, term, weight) of the question: exact terms, and folded ones (full weight for folded questions)."""
        folded_w = 1.0 if q.typed_without_diacritics else self.settings.weight_folded
        parts = [("exact", t, w) for t, w in zip(q.tokens, q.weights)]
        return parts + [("folded", t, folded_w * w) for t, w in zip(q.folded, q.weights)]

    def dense(self, q: Query, n: int, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(position, cosine similarity to the question's embedding) best first."""
        if self.embedder is None or self.index.dense.ntotal == 0:
            return []
        return vectors.search(self.index.dense, self.query_vector(q.text), n, allowed)

    def query_vector(self, text: str) -> np.ndarray:
        """The question's embedding, computed once per retriever (search and answer rescoring share it)."""
        if self._query_vector[0] != text:
            self._query_vector = (text, self.embedder.embed_query(text))
        return self._query_vector[1]

    def dense_weight(self, q: Query) -> float:
        """The dense side's weight: raised when the question has a word the articles never use (a typo, a
        paraphrase), since the lexical side then sees only part of the question, and more for an English
        question, whose words the Vietnamese articles share only in names and numbers."""
        if q.english:
            return self.settings.weight_dense_english
        lex = self.index.lexical
        typed = [t for t, w in zip(q.folded, q.weights) if w == 1.0 and "_" not in t]
        if len(lex) and any(not lex.known("folded", t) for t in typed):
            return self.settings.weight_dense_unseen
        return self.settings.weight_dense

    def fuse(self, q: Query, lexical: list[tuple[int, float]], dense: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """The configured fusion ("rrf" or "score") of the two rankings."""
        s = self.settings
        weights = {"lexical": s.weight_lexical, "dense": self.dense_weight(q)}
        if s.fusion == "score":
            return score_fusion({"lexical": dict(lexical), "dense": dict(dense)}, weights, {"lexical": 0.0})
        return rrf({"lexical": [p for p, _ in lexical], "dense": [p for p, _ in dense]}, weights, s.rrf_k)

    def rankings(self, q: Query, n: int, filters: Filters) -> tuple[list[tuple[int, float]], list[tuple[int, float]],
                                                                    set[int]]:
        """The n best (position, score) of the lexical and of the dense search, and the positions of the
        passages citing a document the question names."""
        allowed = self.allowed(filters)
        return (self.lexical(q, n, allowed), self.dense(q, n, allowed),
                register.positions(self.index.db, q.documents))

    def search(self, q: Query, k: int | None = None, filters: Filters = Filters()) -> list[Hit]:
        """The k best chunks for a parsed question, fused from the lexical and dense rankings."""
        s = self.settings
        lexical, dense, wanted = self.rankings(q, s.candidates, filters)
        k = k or s.top_k
        fused = register.first(self.fuse(q, lexical, dense), wanted)[: max(k, s.rerank_candidates) if s.reranker else k]
        chunks = self.index.chunks([p for p, _ in fused])
        ranks = {name: {p: r for r, (p, _) in enumerate(ranking, 1)} for name, ranking in
                 (("lexical", lexical), ("dense", dense))}
        sims = dict(dense)
        hits = [
            Hit(p, chunks[p], score, {name: r.get(p, 0) for name, r in ranks.items()}, sims.get(p))
            for p, score in fused
            if p in chunks
        ]
        if s.reranker:
            from .rerank import rerank

            hits = rerank(s.reranker, q.text, hits)
            hits.sort(key=lambda h: h.pos not in wanted)  # stable: the register's passages stay first
        return hits[:k]
