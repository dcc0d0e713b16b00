"""Optional re-ranking of the fused candidates with a sentence-transformers CrossEncoder (off by default)."""

from __future__ import annotations

import threading
from dataclasses import replace

from .errors import ModelMissing
from .records import Hit

_models: dict[str, object] = {}
_lock = threading.Lock()


def _load(name: str):
    with _lock:
        if name not in _models:
            try:
                from sentence_transformers import CrossEncoder

                _models[name] = CrossEncoder(name, device="cpu")
            except Exception as exc:  # any loading failure is one sentence for the user
                raise ModelMissing(f"Cannot load the re-ranker {name!r} ({exc.__class__.__name__}); "
                                   "unset QA_RERANKER or give a local CrossEncoder directory.") from exc
        return _models[name]


def rerank(name: str, question: str, hits: list[Hit]) -> list[Hit]:
    """The hits reordered by the cross-encoder's score for (question, passage), best first."""
    if not hits:
        return hits
    scores = _load(name).predict([(question, h.chunk.text) for h in hits], show_progress_bar=False)
    ranked = sorted(zip(hits, scores), key=lambda hs: -float(hs[1]))
    return [replace(h, score=float(s)) for h, s in ranked]
