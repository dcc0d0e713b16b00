"""Search over the shards of an index with the answers of one index over the same articles.

A question goes out twice: first for each shard's BM25 statistics of the question's terms (document
count, summed length, document frequencies), summed into the whole collection's; then for each
shard's best lexical candidates scored with those statistics (so a chunk gets the score one index
would give it) and its best dense candidates for the question's embedding, computed once. The
merged candidates are fused and answered by the same code as for one index (qa/retrieve.py,
qa/pipeline.py). A shard that does not answer in time is left out and the answer is `partial`.

`Shard` is what runs next to each shard folder (in-process here, or one Ray Serve deployment per
shard in qa/cluster/serve.py); a fan-out (`LocalFanout`, or serve.RayFanout) calls the shards."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from .. import register, vectors
from ..config import Settings
from ..embed import Embedder
from ..errors import IndexMismatch, InputError
from ..lexical import Collection
from ..pipeline import Assistant
from ..records import Article, Chunk
from ..retrieve import Filters, Query, Retriever
from ..store import MANIFEST, IndexReader, read_manifest
from .shards import shard_folders


@dataclass(frozen=True)
class ShardResult:
    """One shard's candidates for a question: (position, score) best first, the positions of passages
    citing a document the question names, and the candidates' chunks."""

    lexical: list[tuple[int, float]]
    dense: list[tuple[int, float]]
    wanted: set[int]
    chunks: dict[int, Chunk]


class Shard:
    """Searches one shard folder (a normal index); re-opens it when an ingest publishes a new generation."""

    def __init__(self, folder: Path | str, settings: Settings):
        self.folder = Path(folder)
        self.settings = replace(settings, index_dir=str(folder))
        self._reader: IndexReader | None = None
        self._stamp: tuple | None = None
        self._lock = threading.Lock()

    def reader(self) -> IndexReader:
        with self._lock:
            try:
                st = (self.folder / MANIFEST).stat()
                stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
            except FileNotFoundError:
                read_manifest(self.folder)  # the one sentence for a missing index
                raise
            if self._reader is None or stamp != self._stamp:
                self._reader, self._stamp = IndexReader(self.folder), stamp
            reader = self._reader
        reader.verify()
        return reader

    def manifest(self) -> dict:
        return self.reader().manifest

    def statistics(self, keys: list[tuple[str, str]]) -> Collection:
        return self.reader().lexical.statistics(keys)

    def search(self, q: Query, parts: list[tuple[str, str, float]], vector: np.ndarray | None, n: int,
               filters: Filters, collection: Collection) -> ShardResult:
        reader = self.reader()
        allowed = Retriever(reader, None, self.settings).allowed(filters)
        lex = reader.lexical.within(collection)
        lexical = lex.top(parts, n, None if allowed is None else np.isin(lex.positions, allowed))
        dense = vectors.search(reader.dense, vector, n, allowed) if vector is not None else []
        wanted = register.positions(reader.db, q.documents)
        return ShardResult(lexical, dense, wanted, reader.chunks(sorted({p for p, _ in lexical + dense})))

    def metas(self, article_ids: set[str]) -> dict[str, Article]:
        return self.reader().metas(article_ids) if article_ids else {}

    def article(self, article_id: str) -> Article | None:
        return self.reader().article(article_id)

    def catalogue(self) -> list[Article]:
        return self.reader().catalogue()

    def documents(self) -> list[register.Document]:
        reader = self.reader()
        return register.documents(reader.db, reader.folder)

    def document(self, number: str) -> tuple[register.Document, list[register.Reference]] | InputError:
        """The document and its mentions in this shard, or the InputError saying no article here cites it."""
        reader = self.reader()
        try:
            return register.document(reader.db, reader.folder, number)
        except InputError as exc:
            return exc


class Fanout(Protocol):
    """Calls a method of every shard (or of the given ones) with the same arguments; the results of
    the shards that answered, by shard number (a shard that did not is absent)."""

    def __len__(self) -> int: ...

    def call(self, method: str, args: tuple, shards: Sequence[int] | None = None) -> dict[int, object]: ...


def from_every_shard(fanout: Fanout, method: str, args: tuple = ()) -> dict[int, object]:
    """A call every shard must answer (a whole list, the collection's counts): IndexMismatch if one does not."""
    found = fanout.call(method, args)
    if len(found) < len(fanout):
        raise IndexMismatch(f"{len(fanout) - len(found)} of {len(fanout)} shards do not answer.",
                            "Một phần chỉ mục hiện không truy cập được.")
    return found


class LocalFanout:
    """The shards of a sharded index folder, searched in this process one after the other."""

    def __init__(self, shards: list[Shard]):
        self.shards = shards

    @classmethod
    def open(cls, folder: Path, settings: Settings) -> LocalFanout:
        return cls([Shard(f, settings) for f in shard_folders(folder)])

    def __len__(self) -> int:
        return len(self.shards)

    def call(self, method: str, args: tuple, shards: Sequence[int] | None = None) -> dict[int, object]:
        wanted = range(len(self.shards)) if shards is None else shards
        return {i: getattr(self.shards[i], method)(*args) for i in wanted}


class _Candidates:
    """What ShardedRetriever gives Retriever and Assistant in place of an IndexReader: the collection's
    statistics (as `lexical`), the candidates' chunks, and article metadata fetched from their shards."""

    def __init__(self, fanout: Fanout):
        self.fanout = fanout
        self.lexical = Collection(0, 0.0)
        self.found: dict[int, Chunk] = {}
        self.home: dict[str, int] = {}  # article id → shard that returned its chunks
        self.articles: dict[str, Article] = {}

    def chunks(self, positions: list[int]) -> dict[int, Chunk]:
        return {p: self.found[p] for p in positions if p in self.found}

    def metas(self, article_ids: set[str]) -> dict[str, Article]:
        """The articles (fetched once from their shards); one whose shard does not answer is absent."""
        by_shard: dict[int, set[str]] = {}
        for a in set(article_ids) - self.articles.keys():
            by_shard.setdefault(self.home[a], set()).add(a)
        for shard, ids in by_shard.items():
            self.articles.update(self.fanout.call("metas", (ids,), [shard]).get(shard, {}))
        return {a: self.articles[a] for a in article_ids if a in self.articles}


class ShardedRetriever(Retriever):
    """A Retriever over all shards: the question embedded once, the searches fanned out, merged."""

    def __init__(self, fanout: Fanout, embedder: Embedder | None, settings: Settings):
        super().__init__(_Candidates(fanout), embedder, settings)
        self.fanout = fanout

    def rankings(self, q: Query, n: int, filters: Filters):
        parts = self.lexical_parts(q)
        keys = sorted({(f, t) for f, t, _ in parts} | {("folded", t) for t in q.folded} | {("folded", "\x00")})
        stats = self.fanout.call("statistics", (keys,))
        live = sorted(stats)
        collection = Collection.merge([stats[i] for i in live])
        self.index.lexical = collection
        vector = self.query_vector(q.text) if self.embedder is not None else None
        results = self.fanout.call("search", (q, parts, vector, n, filters, collection), live) if live else {}
        self.partial = len(results) < len(self.fanout)
        lexical, dense, wanted = [], [], set()
        for shard, r in results.items():
            lexical += r.lexical
            dense += r.dense
            wanted |= r.wanted
            self.index.found.update(r.chunks)
            self.index.home.update({c.article_id: shard for c in r.chunks.values()})
        best = lambda ranked: sorted(ranked, key=lambda ps: (-ps[1], ps[0]))[:n]  # noqa: E731 - ties by position
        return best(lexical), best(dense), wanted

    def search(self, q: Query, k: int | None = None, filters: Filters = Filters()):
        """As Retriever.search, with the hits' articles fetched; a hit whose shard stopped answering since
        its search is dropped (the answer is then partial)."""
        hits = super().search(q, k, filters)
        articles = self.index.metas({h.chunk.article_id for h in hits})
        if any(h.chunk.article_id not in articles for h in hits):
            self.partial = True
            hits = [h for h in hits if h.chunk.article_id in articles]
        return hits


class ShardedAssistant(Assistant):
    """An Assistant over the shards a fan-out reaches; `partial` answers when some do not answer."""

    def __init__(self, settings: Settings, fanout: Fanout, embedder: Embedder | None = None):
        super().__init__(settings, embedder)
        self.fanout = fanout
        self._checked = False

    def retriever(self) -> ShardedRetriever:
        if not self._checked:
            for shard, m in self.fanout.call("manifest", ()).items():
                if m["model"] != self.embedder.model_id:
                    raise IndexMismatch(f"Shard {shard} was built with the model {m['model']!r}, but "
                                        f"{self.embedder.model_id!r} is configured; use that model.")
            self._checked = True
        return ShardedRetriever(self.fanout, self.embedder, self.settings)

    def reader(self) -> ShardsReader:
        return ShardsReader(self.fanout)

    def article(self, article_id: str) -> Article:
        found = [a for a in self.fanout.call("article", (article_id,)).values() if a is not None]
        if not found:
            raise InputError(f"Unknown article id {article_id!r}.", "Không có bài viết này.")
        return found[0]

    def catalogue(self) -> list[Article]:
        every = from_every_shard(self.fanout, "catalogue")
        return sorted((a for arts in every.values() for a in arts), key=lambda a: a.file)

    def documents(self) -> list[register.Document]:
        by_number: dict[str, register.Document] = {}
        for docs in self.fanout.call("documents", ()).values():
            for d in docs:
                seen = by_number.get(d.number)
                by_number[d.number] = d if seen is None else replace(
                    seen, articles=seen.articles + d.articles, mentions=seen.mentions + d.mentions)
        return sorted(by_number.values(), key=lambda d: register._natural(d.number))

    def document(self, number: str):
        answers = list(self.fanout.call("document", (register.clean_number(number),)).values())
        found = [r for r in answers if not isinstance(r, InputError)]
        if not found:
            raise answers[0] if answers else IndexMismatch("No shard answers.", "Chỉ mục hiện không truy cập được.")
        doc, refs = found[0]
        for d, more in found[1:]:
            doc = replace(doc, articles=doc.articles + d.articles, mentions=doc.mentions + d.mentions)
            refs = refs + more
        return doc, refs


class ShardsReader:
    """What the API's health check and the page ask of a reader, over all shards."""

    def __init__(self, fanout: Fanout):
        self.fanout = fanout

    @property
    def manifest(self) -> dict:
        manifests = from_every_shard(self.fanout, "manifest")
        first = manifests[0]
        counts = {k: sum(m["counts"][k] for m in manifests.values()) for k in ("articles", "chunks")}
        return {**first, "counts": counts, "generation": max(m["generation"] for m in manifests.values()),
                "shards": len(manifests)}

    def probe(self) -> None:
        self.manifest  # noqa: B018 - every shard answers (or IndexMismatch)

    def metas(self, article_ids: set[str]) -> dict[str, Article]:
        out: dict[str, Article] = {}
        for found in self.fanout.call("metas", (set(article_ids),)).values():
            out.update(found)
        return out
