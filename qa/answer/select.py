"""Which sentence of the top passages answers the question: features that carry over to unseen
text, combined with weights fitted by `scripts/fit_answers.py` (stored in `weights.json`).

Every sentence of the top passages gets cheap features (IDF-weighted overlap with the question,
shared word pairs, whether it holds a span of the expected kind, how close together the shared
words stand, its passage's rank and score). The best few by those are embedded, so the question's
e5 similarity joins them, and the fitted linear score picks the sentence.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

from ..records import Citation, Hit
from ..text import fold, sentence_spans, words
from . import spans

WEIGHTS_FILE = Path(__file__).with_name("weights.json")
FEATURES = ("overlap", "pairs", "kind", "compact", "rare", "context", "inverse_rank", "passage_score",
            "passage_cosine", "length", "dense")
PASSAGES = 3  # sentences are taken from this many top passages
POOL = 8  # the best sentences by the cheap features that the answer is chosen from
# Of those, this many are embedded and rescored with the question's e5 similarity. Vietnamese questions
# share enough words with the articles that the cheap score alone does as well within 1 point (0.4.0,
# 2026-12-02: 85.9 % strict hit with 0 against 86.6 with 5 on xquad_vi, for 15 against 59 ms a question).
EMBEDDED = {"vi": 0, "en": 8}


@dataclass(frozen=True)
class Scored:
    """A candidate sentence with its features and final score."""

    citation: Citation
    start: int
    end: int
    text: str
    features: tuple[float, ...]
    score: float = 0.0
    cosine: float | None = None  # e5 similarity to the question, for the embedded few


@dataclass(frozen=True)
class QuestionTerms:
    """The question's distinctive words (folded) with their IDF weights, and its word pairs."""

    weights: dict[str, float]
    pairs: frozenset[str]

    @property
    def words(self) -> set[str]:
        return set(self.weights)


def question_terms(folded: list[str], weights: list[float], idf: Callable[[str], float],
                   is_question_word: Callable[[str], bool]) -> QuestionTerms:
    """IDF weights of the question's own words (expansions at their lower weight); pairs kept apart."""
    out: dict[str, float] = {}
    pairs = set()
    for term, w in zip(folded, weights):
        if "_" in term:
            if w == 1.0:
                pairs.add(term)
            continue
        if is_question_word(term):
            continue
        out[term] = max(out.get(term, 0.0), w * idf(term))
    return QuestionTerms(out, frozenset(pairs))


def _overlap(qt: QuestionTerms, have: set[str]) -> float:
    total = sum(qt.weights.values()) or 1.0
    return sum(w for t, w in qt.weights.items() if t in have) / total


def _features(qt: QuestionTerms, kind: str, text: str, around: set[str], cit: Citation, top_score: float,
              top_cosine: float, cosine: float | None) -> tuple[float, ...]:
    seq = [fold(w) for w in words(text)]
    have = set(seq)
    pairs = sum(f"{a}_{b}" in qt.pairs for a, b in zip(seq, seq[1:])) / (len(qt.pairs) or 1)
    has_kind = 1.0 if spans.holds(kind, text, qt.weights) else 0.0
    hits = [i for i, t in enumerate(seq) if t in qt.weights]
    compact = len(set(seq[i] for i in hits)) / (hits[-1] - hits[0] + 1) if hits else 0.0
    rarest = max(qt.weights.values(), default=0.0) or 1.0
    rare = max((w for t, w in qt.weights.items() if t in have), default=0.0) / rarest
    return (_overlap(qt, have), pairs, has_kind, compact, rare, _overlap(qt, around - have), 1.0 / cit.n,
            cit.score / (top_score or 1.0), (cosine - top_cosine) if cosine is not None else 0.0,
            math.log1p(len(text)) / 6.0, 0.0)


def candidates(qt: QuestionTerms, kind: str, citations: list[Citation], hits: list[Hit],
               texts: dict[str, str]) -> list[Scored]:
    """Every sentence of the top passages with its cheap features (dense = 0 until rescored)."""
    top_score = citations[0].score if citations else 1.0
    cosines = [h.cosine for h in hits]
    top_cosine = max((c for c in cosines if c is not None), default=0.0)
    out = []
    for cit, cosine in zip(citations[:PASSAGES], cosines):
        text = texts[cit.article_id]
        sents = [(a, b) for a, b in sentence_spans(text, cit.start, cit.end) if b - a >= 8]
        bags = [{fold(w) for w in words(text[a:b])} for a, b in sents]
        for i, (a, b) in enumerate(sents):
            around = (bags[i - 1] if i else set()) | (bags[i + 1] if i + 1 < len(bags) else set())
            feats = _features(qt, kind, text[a:b], around, cit, top_score, top_cosine, cosine)
            out.append(Scored(cit, a, b, text[a:b], feats))
    return out


@cache
def load_weights(path: Path = WEIGHTS_FILE) -> dict:
    """The fitted weights: per language group ("vi", "en") the sentence scores ("cheap" without the
    dense feature, "full" with it, both aligned with FEATURES) and the not-found gate."""
    raw = json.loads(path.read_text(encoding="utf-8"))
    if tuple(raw["features"]) != FEATURES:
        raise ValueError(f"{path} was fitted for other features; rerun scripts/fit_answers.py")
    sentence = {g: {name: np.asarray(w, dtype=np.float64) if isinstance(w, list) else float(w)
                    for name, w in ws.items()} for g, ws in raw["sentence"].items()}
    return {"sentence": sentence, "gate": raw["gate"], "fitted": raw.get("fitted", {})}


def rank(cands: list[Scored], weights: dict[str, np.ndarray], group: str,
         rescore: Callable[[list[str]], np.ndarray] | None) -> list[Scored]:
    """Candidates best first: the cheap score picks the few to embed, the full score orders those."""
    cheap = sorted((replace(c, score=float(np.dot(weights["cheap"], c.features))) for c in cands),
                   key=lambda c: -c.score)
    if rescore is None or not EMBEDDED[group]:
        return cheap[:POOL]
    pool = cheap[:EMBEDDED[group]]
    if not pool:
        return []
    sims = np.asarray(rescore([c.text for c in pool]), dtype=np.float64)
    at = FEATURES.index("dense")
    # relative to the best of the pool: e5's cosines crowd around 0.8, their differences carry
    rescored = []
    for c, sim in zip(pool, sims):
        features = c.features[:at] + (float(sim - sims.max()),) + c.features[at + 1:]
        rescored.append(replace(c, features=features, score=float(np.dot(weights["full"], features)), cosine=float(sim)))
    return sorted(rescored, key=lambda c: -c.score)
