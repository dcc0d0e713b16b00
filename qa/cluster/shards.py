"""A sharded index: a folder of shard folders `shard-0` … `shard-{N-1}`, each a normal index (manifest,
SQLite, FAISS, lexical) in today's format. An article lives in one shard, chosen from its id; chunk
positions (FAISS ids) are numbered across the shards, so a chunk keeps the position one index over
the same files gives it, and results from several shards merge without renumbering."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from .. import vectors
from ..errors import IndexMissing, InputError
from ..ingest import ARTICLE_ID
from ..records import Article, Chunk
from ..store import MANIFEST, SPILL_POSTINGS, IndexReader, IndexWriter, _article_from_row

SHARD = "shard-{}"


def shard_of(article_id: str, shards: int) -> int:
    """The shard an article belongs to: its id (16 hex digits of its text's hash) modulo the shard count."""
    return int(article_id[:8], 16) % shards


def is_sharded(folder: Path) -> bool:
    """Whether the folder holds the shards of an index (shard-0/ …) rather than one index."""
    return not (folder / MANIFEST).exists() and (folder / SHARD.format(0) / MANIFEST).exists()


def shard_folders(folder: Path) -> list[Path]:
    """The shard folders of a sharded index, in order; IndexMissing when the folder holds none."""
    found = sorted((p for p in folder.glob("shard-*") if p.name[6:].isdigit() and (p / MANIFEST).exists()),
                   key=lambda p: int(p.name[6:]))
    if not found or [int(p.name[6:]) for p in found] != list(range(len(found))):
        raise IndexMissing(f"No sharded index in {folder}/ (shard-0/, shard-1/, … each with a {MANIFEST}); "
                           "make one with `qa shard` or `qa ingest --shards N`.",
                           "Chưa có chỉ mục phân mảnh; quản trị viên cần tạo bằng lệnh `qa shard`.")
    return found


class ShardWriters:
    """Writers of N shards (N = 1: one index) that number chunk positions across all of them, as one
    writer of one index would; an article goes to the shard of its id."""

    def __init__(self, folders: list[Path], *, model_id: str, backend: str, dim: int, chunking: dict,
                 rebuild: bool = False, ivf_threshold: int = 50_000, lexical_spill: int = SPILL_POSTINGS):
        self.writers: list[IndexWriter] = []
        try:
            for f in folders:
                self.writers.append(IndexWriter(f, model_id=model_id, backend=backend, dim=dim, chunking=chunking,
                                                rebuild=rebuild, ivf_threshold=ivf_threshold,
                                                lexical_spill=lexical_spill))
        except BaseException:
            self.close()
            raise
        self.next_pos = max(w.manifest["next_pos"] for w in self.writers)

    def writer(self, article_id: str) -> IndexWriter:
        return self.writers[shard_of(article_id, len(self.writers))]

    def has_article(self, article_id: str) -> bool:
        return self.writer(article_id).has_article(article_id)

    def article_ids(self) -> set[str]:
        return set().union(*(w.article_ids() for w in self.writers))

    def article_for_path(self, path: str) -> str | None:
        return next((a for a in (w.article_for_path(path) for w in self.writers) if a), None)

    def add(self, article: Article, chunks: list[Chunk], vecs: np.ndarray, tokens: list[list[str]],
            first: int | None = None) -> None:
        """Store an article in its shard, its chunks at positions `first`… (default: the next free ones)."""
        w = self.writer(article.id)
        w.manifest["next_pos"] = self.next_pos if first is None else first
        w.add(article, chunks, vecs, tokens)
        self.next_pos = max(self.next_pos, w.manifest["next_pos"])

    def remove(self, article_id: str) -> bool:
        """Remove an article from its shard; False if it is in none."""
        return bool(ARTICLE_ID.fullmatch(article_id)) and self.writer(article_id).remove(article_id)

    def link_path(self, path: str, article_id: str) -> None:
        """As IndexWriter.link_path; the article the file held before may be in another shard."""
        for w in self.writers:
            previous = w.article_for_path(path)
            if w is not self.writer(article_id) and previous:
                w.db.execute("DELETE FROM files WHERE path = ?", (path,))
                if not w.db.execute("SELECT 1 FROM files WHERE article_id = ?", (previous,)).fetchone():
                    w.remove(previous)
                w.changed = True
        self.writer(article_id).link_path(path, article_id)

    @property
    def changed(self) -> bool:
        return any(w.changed for w in self.writers)

    def commit(self) -> dict:
        """Commit every shard (each atomically); the summed counts in the shape of one manifest's."""
        counts = {"articles": 0, "chunks": 0}
        manifest = {}
        for w in self.writers:
            w.manifest["next_pos"] = self.next_pos
            manifest = w.commit()
            for k in counts:
                counts[k] += manifest["counts"][k]
        return {**manifest, "counts": counts, "shards": len(self.writers)}

    def checkpoint(self) -> dict:
        manifest = self.commit()
        for w in self.writers:
            w._open(*w._params, rebuild=False)
        return manifest

    def close(self) -> None:
        for w in self.writers:
            w.close()

    def __enter__(self) -> ShardWriters:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _vectors(index, positions: list[int]) -> np.ndarray:
    """The stored vectors of the given positions (FAISS ids)."""
    import faiss

    if vectors.kind(index) == "ivf":
        ivf = faiss.extract_index_ivf(index)
        if ivf.direct_map.type != faiss.DirectMap.Hashtable:
            ivf.set_direct_map_type(faiss.DirectMap.Hashtable)
    if not positions:
        return np.zeros((0, index.d), np.float32)
    return np.vstack([index.reconstruct(int(p)) for p in positions]).astype(np.float32)


def reshard(sources: list[Path], dest: Path, shards: int, ivf_threshold: int = 50_000) -> dict:
    """Split one index, or merge the shards of one, into `shards` new index folders under dest
    (shard-0 …; with shards = 1, dest itself is the index). Articles, chunks (positions, offsets),
    vectors, lexical terms, files and web-page validators are copied, not recomputed."""
    if shards < 1:
        raise InputError("The number of shards must be at least 1.")
    readers = [IndexReader(s) for s in sources]
    first = readers[0].manifest
    for r in readers[1:]:
        if (r.manifest["model"], r.manifest["dim"], r.manifest["chunking"]) != (first["model"], first["dim"],
                                                                               first["chunking"]):
            raise InputError(f"{r.folder}/ was built with another model or chunking than {readers[0].folder}/; "
                             "only shards of one index can be merged.")
    folders = [dest] if shards == 1 else [dest / SHARD.format(i) for i in range(shards)]
    order = sorted((row[0], i, row[1]) for i, r in enumerate(readers)
                   for row in r.db.execute("SELECT MIN(pos), article_id FROM chunks GROUP BY article_id"))
    chunkless = [(i, row[0]) for i, r in enumerate(readers) for row in r.db.execute(
        "SELECT id FROM articles WHERE id NOT IN (SELECT article_id FROM chunks)")]
    with ShardWriters(folders, model_id=first["model"], backend=first["backend"], dim=first["dim"],
                      chunking=first["chunking"], rebuild=True, ivf_threshold=ivf_threshold) as out:
        for start, i, article_id in [*order, *((None, i, a) for i, a in chunkless)]:
            r = readers[i]
            article = _article_from_row(r.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone())
            rows = r.db.execute('SELECT pos, article_id, ordinal, start, "end", text, tokens FROM chunks '
                                "WHERE article_id = ? ORDER BY pos", (article_id,)).fetchall()
            if rows and rows[-1]["pos"] - rows[0]["pos"] != len(rows) - 1:
                raise InputError(f"The chunks of article {article_id} in {r.folder}/ are not numbered in a row.")
            chunks = [Chunk(c["article_id"], c["ordinal"], c["start"], c["end"], c["text"]) for c in rows]
            tokens = [c["tokens"].split(" ") if c["tokens"] else [] for c in rows]
            out.add(article, chunks, _vectors(r.dense, [c["pos"] for c in rows]), tokens, start)
            w = out.writer(article_id)
            for (path,) in r.db.execute("SELECT path FROM files WHERE article_id = ?", (article_id,)):
                w.link_path(path, article_id)
            try:
                pages = r.db.execute("SELECT url, article_id, etag, last_modified, fetched FROM web_pages "
                                     "WHERE article_id = ?", (article_id,)).fetchall()
            except sqlite3.OperationalError:  # an index that never fetched a web page
                pages = []
            if pages:
                from ..sources.web import STATE_TABLE

                w.db.execute(STATE_TABLE)
                w.db.executemany("INSERT OR REPLACE INTO web_pages VALUES (?, ?, ?, ?, ?)", [tuple(p) for p in pages])
        out.next_pos = max(r.manifest["next_pos"] for r in readers)
        manifest = out.commit()
    for r in readers:
        r.close()
    return manifest
