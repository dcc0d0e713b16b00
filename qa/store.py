"""The index folder: manifest, SQLite store, FAISS vectors, lexical index; atomic generations.

Layout: `manifest.json` names the current generation's files (`chunks-N.sqlite`, `dense-N.faiss`,
`lexical-N/`). A writer builds generation N+1 beside N and then replaces the manifest in one
rename, so a crash at any point leaves a complete index (the old or the new one), and readers
switch generations by re-reading the manifest. The FAISS id of a chunk is its SQLite `pos`.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import sqlite3
import threading
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np

from . import register, vectors
from .errors import IndexBusy, IndexMismatch, IndexMissing
from .lexical import SPILL_POSTINGS, LexicalIndex, LexicalUpdate
from .records import Article, Chunk, Metadata
from .timing import Stopwatch

log = logging.getLogger(__name__)

FORMAT = 1
TOKENIZER = "qa.text.terms/2"
MANIFEST = "manifest.json"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
  id TEXT PRIMARY KEY, file TEXT NOT NULL, text TEXT NOT NULL, meta TEXT NOT NULL, added REAL NOT NULL);
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, article_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
  pos INTEGER PRIMARY KEY, article_id TEXT NOT NULL, ordinal INTEGER NOT NULL,
  start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL, tokens TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
"""


def _has_generation(folder: Path) -> bool:
    """Whether the folder holds a complete generation (its SQLite, FAISS and lexical files)."""
    for db in folder.glob("chunks-*.sqlite"):
        gen = db.stem.split("-", 1)[1]
        if (folder / f"dense-{gen}.faiss").exists() and (folder / f"lexical-{gen}" / "format.json").exists():
            return True
    return False


def read_manifest(folder: Path) -> dict:
    """The manifest of an index folder, or IndexMissing / IndexMismatch."""
    path = folder / MANIFEST
    if not path.exists() and _has_generation(folder):
        raise IndexMismatch(
            f"The index in {folder}/ holds articles but its {MANIFEST} is missing, so nothing was changed; "
            "rebuild it from all your article files (uploads included) with `qa ingest --rebuild PATH...`.",
            f"Chỉ mục bài viết bị hỏng (mất tệp {MANIFEST}); quản trị viên cần dựng lại bằng lệnh `qa ingest --rebuild`.")
    if not path.exists():
        raise IndexMissing(f"No index in {folder}/ yet; build one with `qa ingest seeds/`.",
                           "Chưa có bài viết nào được nạp; hãy nạp bài viết trước.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexMismatch(f"The index manifest {path} is unreadable; rebuild with `qa ingest --rebuild`.") from exc
    if not isinstance(manifest, dict):
        raise IndexMismatch(f"The index manifest {path} is unreadable; rebuild with `qa ingest --rebuild`.")
    if manifest.get("format") != FORMAT:
        raise IndexMismatch(
            f"The index in {folder}/ has format {manifest.get('format')!r}, this version reads {FORMAT}; "
            "rebuild with `qa ingest --rebuild`."
        )
    files, counts = manifest.get("files"), manifest.get("counts")
    if (not _MANIFEST_KEYS <= manifest.keys() or not isinstance(files, dict) or not isinstance(counts, dict)
            or not {"sqlite", "faiss", "lexical"} <= files.keys() or "chunks" not in counts):
        raise IndexMismatch(f"The index manifest {path} is incomplete; rebuild with `qa ingest --rebuild`.")
    return manifest


DAMAGED_VI = "Chỉ mục bài viết bị hỏng; quản trị viên cần dựng lại bằng lệnh `qa ingest --rebuild`."


def damaged(folder: Path, cause: object) -> IndexMismatch:
    """The one sentence for an index whose files are damaged (named after the cause's type)."""
    what = cause if isinstance(cause, str) else cause.__class__.__name__
    return IndexMismatch(f"The index in {folder}/ is damaged ({what}); repair it with `qa ingest --rebuild`.",
                         DAMAGED_VI)
_MANIFEST_KEYS = {"generation", "model", "dim", "chunking", "files", "counts", "next_pos", "created"}
_WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)


def _article_from_row(row: sqlite3.Row) -> Article:
    meta = json.loads(row["meta"])
    for key in ("provinces", "people", "doc_numbers", "pages", "ocr_pages"):
        meta[key] = tuple(meta.get(key, ()))
    return Article(row["id"], row["file"], row["text"], Metadata(**meta))


class IndexReader:
    """A read-only snapshot of one generation of the index.

    Everything but the article store is read into memory at open: a file of the folder truncated or
    rewritten later must not kill a running server (a touched page of a mapping past the new end
    of a file is SIGBUS), and `verify()` notices the change so the server answers 503 instead.
    SQLite is opened once per thread (one connection is not shared between request threads); the
    connections close with the reader, which is freed when the last request using it ends."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.manifest = read_manifest(folder)
        files = self.manifest["files"]
        if not (folder / files["lexical"] / "format.json").exists() and (folder / files["lexical"]).is_dir():
            raise IndexMismatch(f"The index in {folder}/ was built by an older version; upgrade it with `qa ingest seeds/` "
                                "(any folder: the lexical index is rebuilt from the stored terms).")
        self._uri = (folder / files["sqlite"]).resolve().as_uri() + "?mode=ro"
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        try:
            self._stamps = self._stat_files()
            self.db.execute("SELECT 1 FROM chunks LIMIT 1")
            self.dense = self._read_dense(folder / files["faiss"])
            self.lexical = LexicalIndex.load(folder / files["lexical"])
        except Exception as exc:  # sqlite, faiss and numpy raise unrelated types for a damaged file
            self.close()
            raise damaged(folder, exc) from exc
        if self.dense.ntotal != self.manifest["counts"]["chunks"] or self._stat_files() != self._stamps:
            self.close()
            raise IndexMismatch(f"The index in {folder}/ is inconsistent; repair it with `qa ingest --rebuild`.",
                                DAMAGED_VI)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's read-only connection to the generation's SQLite file."""
        conn = getattr(self._local, "db", None)
        if conn is None:
            conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            with self._connections_lock:
                self._connections.append(conn)
            self._local.db = conn
        return conn

    def _files(self) -> list[Path]:
        files = self.manifest["files"]
        lexical = self.folder / files["lexical"]
        return [self.folder / files["sqlite"], self.folder / files["faiss"],
                *sorted(p for p in lexical.rglob("*") if p.is_file())]

    def _stat_files(self) -> dict[str, tuple[int, int, int]]:
        out = {}
        for p in self._files():
            st = p.stat()
            out[str(p)] = (st.st_size, st.st_mtime_ns, st.st_ino)
        return out

    def verify(self) -> None:
        """IndexMismatch if a file of this generation was changed, truncated or removed since it was
        opened (a few stat calls: cheap enough for every question)."""
        try:
            ok = all(self._stat(p) == stamp for p, stamp in self._stamps.items())
        except OSError as exc:
            raise damaged(self.folder, exc) from exc
        if not ok:
            raise damaged(self.folder, "a file changed under the running server")

    def probe(self) -> None:
        """A cheap query of the article store: the rebuild sentence if SQLite finds it damaged."""
        try:
            self.db.execute("SELECT COUNT(*) FROM articles").fetchone()
        except sqlite3.DatabaseError as exc:
            raise damaged(self.folder, exc) from exc

    @staticmethod
    def _stat(path: str) -> tuple[int, int, int]:
        st = os.stat(path)
        return st.st_size, st.st_mtime_ns, st.st_ino

    def _read_dense(self, path: Path):
        """Read the vectors (into memory) when the file has the size the manifest recorded."""
        size = self.manifest.get("sizes", {}).get("faiss")
        if size is not None and path.stat().st_size != size:
            raise ValueError(f"{path.name} has {path.stat().st_size} bytes, the manifest says {size}")
        return vectors.read(path)

    @property
    def generation(self) -> int:
        return int(self.manifest["generation"])

    def check_model(self, model_id: str) -> None:
        """Refuse to query vectors made by another model."""
        if self.manifest["model"] != model_id:
            raise IndexMismatch(
                f"The index in {self.folder}/ was built with the model {self.manifest['model']!r}, "
                f"but {model_id!r} is configured; use that model or rebuild with `qa ingest --rebuild`."
            )

    def chunks(self, positions: list[int]) -> dict[int, Chunk]:
        """Chunks by FAISS position."""
        if not positions:
            return {}
        marks = ",".join("?" * len(positions))
        rows = self.db.execute(
            f'SELECT pos, article_id, ordinal, start, "end", text FROM chunks WHERE pos IN ({marks})',
            [int(p) for p in positions],
        )
        return {r["pos"]: Chunk(r["article_id"], r["ordinal"], r["start"], r["end"], r["text"]) for r in rows}

    def article(self, article_id: str) -> Article | None:
        row = self.db.execute("SELECT * FROM articles WHERE id = ?", (article_id,)).fetchone()
        return _article_from_row(row) if row else None

    def articles(self) -> list[Article]:
        return [_article_from_row(r) for r in self.db.execute("SELECT * FROM articles ORDER BY file")]

    def catalogue(self) -> list[Article]:
        """Every article's id, file and metadata, without the text (cheap: for filters and lists)."""
        rows = self.db.execute("SELECT id, file, '' AS text, meta FROM articles ORDER BY file")
        return [_article_from_row(r) for r in rows]

    def metas(self, article_ids: set[str]) -> dict[str, Article]:
        marks = ",".join("?" * len(article_ids))
        rows = self.db.execute(f"SELECT * FROM articles WHERE id IN ({marks})", list(article_ids))
        return {r["id"]: _article_from_row(r) for r in rows}

    def positions_of(self, article_ids: list[str]) -> np.ndarray:
        marks = ",".join("?" * len(article_ids))
        rows = self.db.execute(f"SELECT pos FROM chunks WHERE article_id IN ({marks})", article_ids)
        return np.fromiter((r[0] for r in rows), dtype=np.int64)

    def close(self) -> None:
        with self._connections_lock:
            conns, self._connections = self._connections, []
        for conn in conns:
            conn.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class IndexWriter:
    """Adds and removes articles, then commits a new generation atomically. Holds the folder's lock."""

    def __init__(self, folder: Path, *, model_id: str, backend: str, dim: int, chunking: dict, rebuild: bool = False,
                 lock_timeout: float = 600.0, ivf_threshold: int = 50_000, lexical_spill: int = SPILL_POSTINGS):
        from filelock import FileLock, Timeout

        self.folder = folder
        self.ivf_threshold = ivf_threshold
        self.lexical_spill = lexical_spill  # postings per sorted run of the lexical update on disk
        folder.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(folder / ".lock"))
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            log.warning("Another process is writing %s; waiting up to %.0f s…", folder, lock_timeout)
            try:
                self._lock.acquire(timeout=lock_timeout)
            except Timeout as exc:
                raise IndexBusy(f"Another ingest is still writing {folder}/; try again when it has finished.",
                                "Đang có một lượt nạp bài khác; vui lòng thử lại sau.") from exc
        self._params = (model_id, backend, dim, chunking)
        self.watch = Stopwatch()  # seconds per stage of this writer's job (ingest adds its own stages)
        try:
            self._open(model_id, backend, dim, chunking, rebuild)
        except BaseException:
            for p in getattr(self, "_tmp_files", []):  # a half-copied store would only take space
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            self._lock.release()
            raise

    def _open(self, model_id: str, backend: str, dim: int, chunking: dict, rebuild: bool) -> None:
        old = None if rebuild else self._previous()
        if old is not None:
            if old["model"] != model_id or old["dim"] != dim:
                raise IndexMismatch(
                    f"The index in {self.folder}/ was built with {old['model']!r}; ingesting with {model_id!r} "
                    "needs `qa ingest --rebuild`."
                )
            if old["chunking"] != chunking or old.get("tokenizer") != TOKENIZER:
                raise IndexMismatch(
                    f"The index in {self.folder}/ was built with other chunking or tokenizer settings; "
                    "use `qa ingest --rebuild`."
                )
        self.generation = (old["generation"] if old else self._last_generation()) + 1
        self.manifest = {
            "format": FORMAT, "generation": self.generation, "model": model_id, "backend": backend, "dim": dim,
            "prefixes": {"query": "query: ", "passage": "passage: "} if "e5" in model_id else {},
            "tokenizer": TOKENIZER, "chunking": chunking,
            "created": old["created"] if old else time.time(), "next_pos": old["next_pos"] if old else 0,
        }
        self._sqlite = self.folder / f"chunks-{self.generation}.sqlite"
        self._tmp_files = [self._sqlite]
        self._sqlite.unlink(missing_ok=True)
        self.lexical = LexicalIndex.empty()
        self._lex_from_store = False  # rebuild the lexical index from the stored terms (older index)
        if old:
            self.dense = self._check_previous(old)
            shutil.copyfile(self.folder / old["files"]["sqlite"], self._sqlite)
            try:
                self.lexical = LexicalIndex.load(self.folder / old["files"]["lexical"])
            except (OSError, ValueError):
                log.warning("Rebuilding the lexical index of %s from the stored terms (older format).", self.folder)
                self._lex_from_store = True
        else:
            self.dense = vectors.new_index(dim)
        self._runs = self.folder / f".lexical-{self.generation}.runs"  # the update's sorted runs (bounded memory)
        shutil.rmtree(self._runs, ignore_errors=True)  # a killed writer's
        self._tmp_files.append(self._runs)
        self._lex = LexicalUpdate(self.lexical, spill=self.lexical_spill, spill_dir=self._runs)  # changes since the last commit
        self.db = sqlite3.connect(self._sqlite)
        self.db.executescript(_SCHEMA)
        # an older index (lexical format, document register) is upgraded by any ingest
        self.changed = register.prepare(self.db) or self._lex_from_store

    def _check_previous(self, old: dict):
        """The previous generation's vectors, once its files are known to be whole; IndexMismatch
        (naming `qa ingest --rebuild`) for a missing, truncated or corrupt file."""
        try:
            faiss_file = self.folder / old["files"]["faiss"]
            size = old.get("sizes", {}).get("faiss")
            if size is not None and faiss_file.stat().st_size != size:
                raise ValueError(f"{faiss_file.name} has {faiss_file.stat().st_size} bytes, the manifest says {size}")
            dense = vectors.read(faiss_file)
            uri = (self.folder / old["files"]["sqlite"]).resolve(strict=True).as_uri() + "?mode=ro"
            with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
                db.execute("SELECT COUNT(*) FROM chunks").fetchone()
            if dense.ntotal != old["counts"]["chunks"]:
                raise ValueError("the vectors and the manifest disagree")
        except Exception as exc:  # sqlite, faiss and the file system raise unrelated types for damage
            if isinstance(exc, OSError) and exc.errno in _WRITE_ERRORS:
                raise
            raise IndexMismatch(f"The index in {self.folder}/ is damaged ({exc.__class__.__name__}); "
                                "repair it with `qa ingest --rebuild`.") from exc
        return dense

    def _previous(self) -> dict | None:
        try:
            return read_manifest(self.folder)
        except IndexMissing:
            return None

    def _last_generation(self) -> int:
        gens = [int(p.stem.split("-")[1]) for p in self.folder.glob("chunks-*.sqlite") if p.stem.split("-")[1].isdigit()]
        return max(gens, default=0)

    # -- queries the ingest needs -------------------------------------------------------------
    def has_article(self, article_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM articles WHERE id = ?", (article_id,)).fetchone() is not None

    def article_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT id FROM articles")}

    def article_for_path(self, path: str) -> str | None:
        row = self.db.execute("SELECT article_id FROM files WHERE path = ?", (path,)).fetchone()
        return row[0] if row else None

    # -- changes ------------------------------------------------------------------------------
    def link_path(self, path: str, article_id: str) -> None:
        """Record that a file holds an article; drop the article the file held before if no file keeps it."""
        previous = self.article_for_path(path)
        self.db.execute("INSERT OR REPLACE INTO files(path, article_id) VALUES (?, ?)", (path, article_id))
        if previous and previous != article_id:
            still = self.db.execute("SELECT 1 FROM files WHERE article_id = ?", (previous,)).fetchone()
            if not still:
                self.remove(previous)
        self.changed = True

    def add(self, article: Article, chunks: list[Chunk], vectors: np.ndarray, tokens: list[list[str]]) -> None:
        """Store an article with its chunks, vectors and lexical tokens."""
        meta = json.dumps(asdict(article.meta), ensure_ascii=False)
        start = self.manifest["next_pos"]
        positions = np.arange(start, start + len(chunks), dtype=np.int64)
        with self.watch.lap("store"):
            self.db.execute(
                "INSERT INTO articles(id, file, text, meta, added) VALUES (?, ?, ?, ?, ?)",
                (article.id, article.file, article.text, meta, time.time()),
            )
            self.db.executemany(
                'INSERT INTO chunks(pos, article_id, ordinal, start, "end", text, tokens) VALUES (?, ?, ?, ?, ?, ?, ?)',
                [(int(p), c.article_id, c.ordinal, c.start, c.end, c.text, " ".join(t))
                 for p, c, t in zip(positions, chunks, tokens)],
            )
            register.store(self.db, article.id, article.text)
        if len(chunks):
            with self.watch.lap("faiss"):
                self.dense.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), positions)
        with self.watch.lap("lexical"):
            for doc, pos in zip(tokens, positions.tolist()):
                self._lex.add(doc, pos)
        self.manifest["next_pos"] = start + len(chunks)
        self.changed = True

    def remove(self, article_id: str) -> bool:
        """Remove an article and its chunks; False if it is not in the index."""
        positions = [r[0] for r in self.db.execute("SELECT pos FROM chunks WHERE article_id = ?", (article_id,))]
        found = self.db.execute("DELETE FROM articles WHERE id = ?", (article_id,)).rowcount > 0
        self.db.execute("DELETE FROM chunks WHERE article_id = ?", (article_id,))
        self.db.execute("DELETE FROM files WHERE article_id = ?", (article_id,))
        register.forget(self.db, article_id)
        if positions:
            self.dense.remove_ids(np.asarray(positions, dtype=np.int64))
            self._lex.remove(positions)
        self.changed = self.changed or found
        return found

    # -- commit -------------------------------------------------------------------------------
    def commit(self) -> dict:
        """Write the vectors and the lexical index, then switch the manifest to the new generation.

        The vectors are written and released first, so the lexical merge (streamed from its sorted
        runs to the files) does not add to their peak. After a commit the writer holds neither: a
        checkpoint re-opens them from the files just written."""
        with self.watch.lap("store"):
            self.db.commit()
        lex_dir = self.folder / f"lexical-{self.generation}"
        faiss_file = self.folder / f"dense-{self.generation}.faiss"
        self._tmp_files += [lex_dir, faiss_file]
        with self.watch.lap("faiss"):
            dense = vectors.grow(self.dense, self.ivf_threshold)
            self.dense = None
            vectors.write(dense, faiss_file)
            dense_kind, dense_count = vectors.kind(dense), dense.ntotal
            del dense
        with self.watch.lap("lexical"):
            shutil.rmtree(lex_dir, ignore_errors=True)
            if self._lex_from_store:
                lexical = self._updated_lexical()
                lexical.save(lex_dir)
                n_chunks = len(lexical)
                del lexical
            else:
                n_chunks = self._lex.save(lex_dir)
            self.lexical = self._lex = None
            shutil.rmtree(self._runs, ignore_errors=True)
        if n_chunks != dense_count:
            raise IndexMismatch(f"The index build of {self.folder}/ went wrong ({dense_count} vectors, {n_chunks} "
                                "lexical documents); nothing was changed.")
        n_articles = self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
        self.db.close()
        self.manifest.update(
            counts={"articles": n_articles, "chunks": n_chunks}, dense_index=dense_kind,
            files={"sqlite": self._sqlite.name, "faiss": faiss_file.name, "lexical": lex_dir.name},
            sizes={"faiss": faiss_file.stat().st_size},
            updated=time.time(),
        )
        tmp = self.folder / f".{MANIFEST}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.manifest, fh, ensure_ascii=False, indent=1)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.folder / MANIFEST)
        self._tmp_files = []
        self._prune()
        return self.manifest

    def _updated_lexical(self) -> LexicalIndex:
        """The previous generation's lexical index with this session's additions and removals merged in."""
        if self._lex_from_store:
            rows = self.db.execute("SELECT pos, tokens FROM chunks ORDER BY pos").fetchall()
            return LexicalIndex.build([r[1].split(" ") if r[1] else [] for r in rows], np.array([r[0] for r in rows]))
        return self._lex.apply()

    def checkpoint(self) -> dict:
        """Commit what was added so far and go on in a new generation (a long ingest resumes from here)."""
        manifest = self.commit()
        self._open(*self._params, rebuild=False)
        return manifest

    def _prune(self) -> None:
        """Delete generations older than the previous one (readers may still hold the previous)."""
        keep = {self.generation, self.generation - 1}
        for p in self.folder.iterdir():
            stem = p.name.split(".")[0]
            if "-" in stem and stem.split("-")[0] in ("chunks", "dense", "lexical"):
                gen = stem.split("-")[1]
                if gen.isdigit() and int(gen) not in keep:
                    shutil.rmtree(p) if p.is_dir() else p.unlink()

    def close(self) -> None:
        """Release the lock; discard an uncommitted generation."""
        try:
            self.db.close()
        except sqlite3.Error:
            pass
        for p in self._tmp_files:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
        self._lock.release()

    def __enter__(self) -> IndexWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
