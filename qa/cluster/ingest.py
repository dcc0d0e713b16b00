"""`qa ingest --cluster ray://…` (or QA_RAY_ADDRESS): decode → clean → metadata → chunk → embed on the
cluster's workers, one embedder actor per worker node (on its GPU when the node has one), and the
results written here, in the order of the files, as one index or as shards (`--shards N`): the same
chunks (ids, offsets, positions) as `qa ingest` on this machine. Without an address (`--shards N`
alone) the same stages run in this process.

The files must be readable at the same path on every node (a shared file system)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..config import Settings, pin_threads
from ..embed import Embedder, load_embedder
from ..errors import InputError
from ..ingest import discover
from ..pipeline import IngestReport, _chunked, _chunking, _prepare, _Prepared
from ..records import Article
from ..sources import web
from ..store import MANIFEST
from ..timing import Stopwatch
from .shards import SHARD, ShardWriters, is_sharded, shard_folders

BATCH = 8  # files per call to a worker
AHEAD = 2  # calls in flight per worker


class Worker:
    """Prepares and embeds batches of files: what runs once per node (a Ray actor), or here."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        pin_threads(settings.threads)
        self.settings = settings
        self.embedder = embedder or load_embedder(settings)
        self.watch = Stopwatch()

    def model(self) -> dict:
        e = self.embedder
        return {"model_id": e.model_id, "backend": e.backend, "dim": e.dim}

    def prepare(self, paths: list[str], known: set[str]) -> list[tuple[_Prepared, np.ndarray | None]]:
        """Each file read, cleaned, described and chunked (unless its article is known), with the vectors
        of its chunks."""
        done = [_prepare(Path(p), self.settings, known, self.watch) for p in paths]
        texts = [c.text for d in done if d.chunked for c in d.chunked[0]]
        with self.watch.lap("embed"):
            vecs = self.embedder.embed_passages(texts) if texts else np.zeros((0, self.embedder.dim), np.float32)
        out, at = [], 0
        for d in done:
            n = len(d.chunked[0]) if d.chunked else 0
            out.append((d, vecs[at:at + n] if d.chunked else None))
            at += n
        return out

    def chunk(self, article: Article) -> tuple[tuple, np.ndarray]:
        chunked = _chunked(article, self.settings, self.watch)
        return chunked, self.embedder.embed_passages([c.text for c in chunked[0]])

    def seconds(self) -> dict[str, float]:
        return dict(self.watch.seconds)


class LocalPool:
    """One Worker in this process (with the embedder already loaded here, if any)."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.worker = Worker(settings, embedder)

    def __len__(self) -> int:
        return 1

    def map(self, batches: list[list[str]], known: set[str]):
        for b in batches:
            yield self.worker.prepare(b, known)

    def chunk(self, article: Article):
        return self.worker.chunk(article)

    def model(self) -> dict:
        return self.worker.model()

    def seconds(self) -> dict[str, float]:
        return self.worker.seconds()


class RayPool:
    """One Worker actor per alive node of the cluster, pinned to it (with a GPU where the node has one)."""

    def __init__(self, settings: Settings, address: str):
        from .serve import connect, ray_modules

        ray, _ = ray_modules()
        connect(address)
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        actor = ray.remote(Worker)
        self.ray, self.actors = ray, []
        for node in (n for n in ray.nodes() if n["Alive"]):
            gpus = node["Resources"].get("GPU", 0)
            node_settings = replace(settings, device="cuda") if gpus else settings
            self.actors.append(actor.options(
                num_cpus=0, num_gpus=1 if gpus else 0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(node["NodeID"], soft=False)).remote(node_settings))

    def __len__(self) -> int:
        return len(self.actors)

    def map(self, batches: list[list[str]], known: set[str]):
        """The prepared batches in order; each worker keeps AHEAD batches in flight, the next batch going to
        the first worker that finishes."""
        known_ref = self.ray.put(known)
        todo = deque(enumerate(batches))
        running: dict = {}  # object ref → (batch number, actor)
        done: dict[int, list] = {}
        idle = [a for a in self.actors for _ in range(AHEAD)]
        nxt = 0
        while nxt < len(batches):
            while idle and todo:
                i, b = todo.popleft()
                a = idle.pop()
                running[a.prepare.remote(b, known_ref)] = (i, a)
            ready, _ = self.ray.wait(list(running), num_returns=1)
            for ref in ready:
                i, a = running.pop(ref)
                done[i] = self.ray.get(ref)
                idle.append(a)
            while nxt in done:
                yield done.pop(nxt)
                nxt += 1

    def chunk(self, article: Article):
        return self.ray.get(self.actors[0].chunk.remote(article))

    def model(self) -> dict:
        return self.ray.get(self.actors[0].model.remote())

    def seconds(self) -> dict[str, float]:
        total: dict[str, float] = {}
        for s in self.ray.get([a.seconds.remote() for a in self.actors]):
            for k, v in s.items():
                total[k] = total.get(k, 0.0) + v
        return total


def _folders(index: Path, shards: int) -> list[Path]:
    """The index folder itself, or its shard folders (the number given, else those already there)."""
    existing = shard_folders(index) if is_sharded(index) else []
    if shards == 0 and existing:
        shards = len(existing)
    if existing and shards != len(existing):
        raise InputError(f"{index}/ has {len(existing)} shards, not {shards}; re-shard it with `qa shard`.")
    if shards > 1 and (index / MANIFEST).exists():
        raise InputError(f"{index}/ is one index; split it with `qa shard` or ingest with --rebuild elsewhere.")
    return [index / SHARD.format(i) for i in range(shards)] if shards > 1 else [index]


def ingest(paths: Sequence[Path | str], settings: Settings, *, address: str = "", shards: int = 0,
           rebuild: bool = False, embedder: Embedder | None = None, progress: Callable | None = None) -> IngestReport:
    """Add new or changed files to the index (or its shards) with the stages run on the cluster at
    address (in this process without one); a report as pipeline.ingest's."""
    if any(web.is_url(p) for p in paths):
        raise InputError("Web sources are ingested into one index, not on a cluster or into shards "
                         "(`qa ingest URL` into one index, then `qa shard` it).",
                         "Nguồn web chỉ nạp được vào chỉ mục một khối, không vào chỉ mục phân mảnh.")
    report = IngestReport()
    files, report.refused = discover([Path(p) for p in paths])
    watch = Stopwatch()
    with watch.lap("workers"):
        pool = RayPool(settings, address) if address else LocalPool(settings, embedder)
        model = pool.model()
    folders = _folders(settings.index_path, shards)
    with ShardWriters(folders, model_id=model["model_id"], backend=model["backend"], dim=model["dim"],
                      chunking=_chunking(settings), rebuild=rebuild, ivf_threshold=settings.ivf_threshold,
                      lexical_spill=settings.lexical_spill) as out:
        batches = [[str(f) for f in files[i:i + BATCH]] for i in range(0, len(files), BATCH)]
        results = (item for batch in pool.map(batches, out.article_ids()) for item in batch)
        for item, vecs in progress(results, len(files)) if progress else results:
            article = item.article
            if item.refusal:
                report.refused.append(item.refusal)
                continue
            if out.article_for_path(item.key) == article.id:
                report.unchanged.append(str(item.path))
                continue
            if out.has_article(article.id):
                out.link_path(item.key, article.id)
                report.duplicates.append(str(item.path))
                continue
            if item.chunked is None:  # known when sent out, removed since (its file now holds another text)
                item.chunked, vecs = pool.chunk(article)
            with watch.lap("store"):
                chunks, tokens = item.chunked
                out.add(article, chunks, vecs, tokens)
                out.link_path(item.key, article.id)
            report.added.append(str(item.path))
            report.chunks_added += len(chunks)
            if len(report.added) % settings.commit_every == 0:
                report.manifest = out.checkpoint()
        if out.changed or rebuild:
            with watch.lap("commit"):
                report.manifest = out.commit()
    report.seconds = {**pool.seconds(), **watch.seconds}
    return report
