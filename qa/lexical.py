"""The lexical index: BM25 (bm25s) over exact Vietnamese tokens and over diacritic-folded tokens."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from .text import fold

FIELDS = ("exact", "folded")


def _bm25(docs: list[list[str]]):
    import bm25s

    model = bm25s.BM25(k1=1.2, b=0.75)
    model.index(docs, show_progress=False)
    return model


class LexicalIndex:
    """Two BM25 fields over the same documents; document i is the chunk at FAISS position positions[i]."""

    def __init__(self, models: dict, positions: np.ndarray):
        self._models = models
        self.positions = positions
        self._vocab = {f: m.vocab_dict for f, m in models.items()}

    @classmethod
    def build(cls, docs: list[list[str]], positions: np.ndarray) -> LexicalIndex:
        """Index token lists (exact tokens; the folded field is derived)."""
        if not docs:
            return cls({}, np.zeros(0, dtype=np.int64))
        folded = [[fold(t) for t in d] for d in docs]
        return cls({"exact": _bm25(docs), "folded": _bm25(folded)}, np.asarray(positions, dtype=np.int64))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, model in self._models.items():
            model.save(str(folder / name), show_progress=False)
        np.save(folder / "positions.npy", self.positions)
        (folder / "fields.json").write_text(json.dumps(sorted(self._models)))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        import bm25s

        names = json.loads((folder / "fields.json").read_text())
        models = {n: bm25s.BM25.load(str(folder / n), mmap=True, show_progress=False, verbosity=0) for n in names}
        return cls(models, np.load(folder / "positions.npy"))

    def __len__(self) -> int:
        return len(self.positions)

    def scores(self, field: str, query: list[str], weights: list[float] | None = None) -> np.ndarray:
        """BM25 score of every document for the query tokens (unknown tokens ignored)."""
        out = np.zeros(len(self.positions), dtype=np.float32)
        model = self._models.get(field)
        if model is None:
            return out
        vocab = self._vocab[field]
        weights = weights or [1.0] * len(query)
        for tok, w in zip(query, weights):
            if tok in vocab and tok:
                out += w * model.get_scores([tok])
        return out

    def idf(self, field: str, token: str) -> float:
        """BM25 inverse document frequency of a token (a token the index never saw gets the highest)."""
        n = len(self.positions)
        model = self._models.get(field)
        tid = self._vocab.get(field, {}).get(token)
        df = 0 if tid is None or model is None else int(model.scores["indptr"][tid + 1] - model.scores["indptr"][tid])
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def known(self, field: str, token: str) -> bool:
        """Whether any indexed document contains the token."""
        return token in self._vocab.get(field, {})
