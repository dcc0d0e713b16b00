"""The one module that wires the stages: ingest files into the index, answer questions from it."""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import partial, wraps
from itertools import islice
from pathlib import Path

import numpy as np

from . import register
from .answer import Decision, compose, resolve
from .answer.select import WEIGHTS_FILE, QuestionTerms, load_weights, question_terms
from .chunk import chunk_article, library_versions
from .cluster.shards import ShardWriters, is_sharded, shard_folders
from .config import Settings
from .embed import Embedder, load_embedder
from .errors import InputError
from .ingest import ARTICLE_ID, Refusal, discover, load_article, path_key
from .records import Answer, Article, Chunk
from .retrieve import Filters, Query, Retriever, is_question_word
from .sources import web
from .store import MANIFEST, IndexReader, IndexWriter, damaged, read_manifest
from .text import normalize, terms, tokens
from .timing import Stopwatch

log = logging.getLogger(__name__)
SEARCHED = 20  # hits searched, so that passages about the question's entities can be found below the first few
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class IngestReport:
    """What one `ingest` call did."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notices: list[web.Notice] = field(default_factory=list)  # not refusals: a feed capped for this run
    chunks_added: int = 0
    manifest: dict | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # per stage; clean/chunk/terms overlap embed


def chunk_tokens(article: Article, chunks: list[Chunk]) -> list[list[str]]:
    """Lexical terms of each chunk: its own words plus its article's title and provinces."""
    shared = terms(article.meta.title) + terms(" ; ".join(article.meta.provinces))
    return [terms(c.text) + shared for c in chunks]


def _chunking(settings: Settings) -> dict:
    return {"size": settings.chunk_size, "overlap": settings.chunk_overlap, "splitter": "recursive-vi/1",
            "libraries": library_versions()}


def _chunked(article: Article, settings: Settings, watch: Stopwatch) -> tuple[list[Chunk], list[list[str]]]:
    """An article's chunks and each chunk's lexical terms."""
    with watch.lap("chunk"):
        chunks = chunk_article(article, settings.chunk_size, settings.chunk_overlap)
    with watch.lap("terms"):
        tokens = chunk_tokens(article, chunks)
    return chunks, tokens


def add_articles(writer: IndexWriter, articles: Sequence[Article], embedder: Embedder, settings: Settings,
                 chunked: Sequence[tuple[list[Chunk], list[list[str]]]] | None = None) -> int:
    """Chunk (unless given already chunked), embed and store articles; returns their number of chunks.
    Their chunks are embedded in one call, so the embedder can sort them by length and run batches
    in parallel."""
    done = chunked or [_chunked(a, settings, writer.watch) for a in articles]
    with writer.watch.lap("embed"):
        vectors = embedder.embed_passages([c.text for chunks, _ in done for c in chunks])
    at = 0
    for article, (chunks, chunk_terms) in zip(articles, done):
        writer.add(article, chunks, vectors[at:at + len(chunks)], chunk_terms)
        at += len(chunks)
    return at


@dataclass
class _Prepared:
    """One file (or web page) after the work that needs no index: read (fetched), cleaned,
    described, chunked, tokenised."""

    path: Path | str  # a file, or the URL of a web page
    key: str = ""  # the resolved path (or the URL) the index records
    article: Article | None = None
    refusal: Refusal | None = None
    chunked: tuple[list[Chunk], list[list[str]]] | None = None
    fetched: web.Response | None = None  # a web page's response (status 304: unchanged since the last run)


def _prepare_page(entry: web.Entry, settings: Settings, known: set[str], watch: Stopwatch,
                  sources: web.Sources) -> _Prepared:
    try:
        with watch.lap("fetch"):
            r = sources.page(entry)
        if r.status == 304:
            return _Prepared(entry.url, entry.url, fetched=r)
        with watch.lap("clean"):
            article = sources.article(entry, r)
    except InputError as exc:
        return _Prepared(entry.url, refusal=Refusal.of(entry.url, exc))
    if article.id in known:
        return _Prepared(entry.url, entry.url, article, fetched=r)
    return _Prepared(entry.url, entry.url, article, chunked=_chunked(article, settings, watch), fetched=r)


def _prepare(path: Path | web.Entry, settings: Settings, known: set[str], watch: Stopwatch,
             sources: web.Sources | None = None) -> _Prepared:
    if isinstance(path, web.Entry):
        return _prepare_page(path, settings, known, watch, sources)
    try:
        with watch.lap("clean"):
            article = load_article(path, int(settings.max_file_mb * 1024 * 1024), settings.max_article_chars,
                                   settings)
    except InputError as exc:
        return _Prepared(path, refusal=Refusal.of(str(path), exc))
    except OSError as exc:
        return _Prepared(path, refusal=Refusal(str(path), f"{path.name}: cannot be read ({exc.strerror})."))
    key = path_key(path)
    if article.id in known:  # most likely unchanged or a duplicate: chunk only if it turns out not to be
        return _Prepared(path, key, article)
    return _Prepared(path, key, article, chunked=_chunked(article, settings, watch))


def _prefetch(fn: Callable, items: list, ahead: int) -> Iterator:
    """fn(item) for each item, in order, computed up to `ahead` items in advance in one worker
    thread: the cleaning and chunking of the next files overlaps the embedding of this one (ONNX
    Runtime releases the GIL while it runs)."""
    with ThreadPoolExecutor(1, thread_name_prefix="qa-prepare") as pool:
        pending = deque(pool.submit(fn, item) for item in items[:ahead])
        rest = iter(items[ahead:])
        try:
            while pending:
                done = pending.popleft().result()
                for item in islice(rest, 1):
                    pending.append(pool.submit(fn, item))
                yield done
        finally:
            for f in pending:
                f.cancel()


def open_writer(settings: Settings, embedder: Embedder, rebuild: bool = False) -> IndexWriter:
    """A writer for the configured index folder with this embedder and chunking."""
    return IndexWriter(settings.index_path, model_id=embedder.model_id, backend=embedder.backend, dim=embedder.dim,
                       chunking=_chunking(settings), rebuild=rebuild, ivf_threshold=settings.ivf_threshold,
                       lexical_spill=settings.lexical_spill)


def _expand(urls: list[str], sources: web.Sources, report: IngestReport, watch: Stopwatch) -> list[web.Entry]:
    """The web pages the URL arguments stand for; an argument that cannot be read is refused."""
    entries: dict[str, web.Entry] = {}
    for url in urls:
        try:
            with watch.lap("fetch"):
                found, failed = sources.expand(url)
        except InputError as exc:
            report.refused.append(Refusal.of(url, exc))
            continue
        report.refused += [Refusal.of(url, exc) for exc in failed]
        for entry in found:
            entries.setdefault(entry.url, entry)
    report.notices += sources.notices
    return list(entries.values())


def ingest(
    paths: Sequence[Path | str],
    settings: Settings,
    *,
    rebuild: bool = False,
    embedder: Embedder | None = None,
    progress: Callable | None = None,
) -> IngestReport:
    """Add new or changed files and web pages to the index (one atomic generation); refuse bad ones
    one by one. A `str` that is a URL (http(s)://…) is a web page, an RSS/Atom feed or a sitemap.
    A sharded index folder gets the new articles in their shards (as `qa ingest --shards N` writes them)."""
    if is_sharded(settings.index_path):
        from .cluster.ingest import ingest as ingest_shards

        return ingest_shards(paths, settings, rebuild=rebuild, embedder=embedder, progress=progress)
    report = IngestReport()
    urls = [p.strip() for p in paths if web.is_url(p)]
    files, report.refused = discover([Path(p) for p in paths if not web.is_url(p)])
    embedder = embedder or load_embedder(settings)
    with open_writer(settings, embedder, rebuild) as writer:
        sources = web.Sources(settings, web.known_pages(writer.db)) if urls else None
        items = files + (_expand(urls, sources, report, writer.watch) if sources else [])
        prepared = _prefetch(partial(_prepare, settings=settings, known=writer.article_ids(), watch=writer.watch,
                                     sources=sources), items, ahead=8)
        group: list[_Prepared] = []  # new articles whose chunks are embedded together

        def flush() -> None:
            report.chunks_added += add_articles(writer, [g.article for g in group], embedder, settings,
                                                [g.chunked for g in group])
            for g in group:
                writer.link_path(g.key, g.article.id)
                _remember(writer, g)
                report.added.append(str(g.path))
            group.clear()
            if len(report.added) % settings.commit_every == 0:  # a crash later keeps what is done
                report.manifest = writer.checkpoint()

        for item in progress(prepared, len(items)) if progress else prepared:
            path, key, article = item.path, item.key, item.article
            if item.refusal:
                report.refused.append(item.refusal)
                continue
            if article is None:  # a web page that answered 304 Not Modified
                report.unchanged.append(str(path))
                continue
            if any(g.article.id == article.id for g in group):
                flush()  # the same text twice in one group: store the first, then link this one to it
            if writer.article_for_path(key) == article.id:
                _remember(writer, item)
                report.unchanged.append(str(path))
                continue
            if writer.has_article(article.id):
                writer.link_path(key, article.id)
                _remember(writer, item)
                report.duplicates.append(str(path))
                continue
            item.chunked = item.chunked or _chunked(article, settings, writer.watch)
            group.append(item)
            if (sum(len(g.chunked[0]) for g in group) >= settings.embed_group
                    or (len(report.added) + len(group)) % settings.commit_every == 0):
                flush()
        if group:
            flush()
        if sources:
            sources.close()
        if writer.changed or rebuild:
            report.manifest = writer.commit()
        report.seconds = dict(writer.watch.seconds)
    log.info("ingest seconds per stage: %s", {k: round(v, 2) for k, v in report.seconds.items()})
    return report


def _remember(writer: IndexWriter, item: _Prepared) -> None:
    """A web page's ETag / Last-Modified, for the next run's conditional request."""
    if item.fetched is not None:
        web.remember(writer.db, item.key, item.fetched, item.article.id)


def remove(article_ids: list[str], settings: Settings) -> list[str]:
    """Remove articles by id (from their shards in a sharded folder); returns the ids that were not in the index."""
    folders = shard_folders(settings.index_path) if is_sharded(settings.index_path) else [settings.index_path]
    manifest = IndexReader(folders[0]).manifest
    with ShardWriters(folders, model_id=manifest["model"], backend=manifest["backend"], dim=manifest["dim"],
                      chunking=manifest["chunking"], ivf_threshold=settings.ivf_threshold,
                      lexical_spill=settings.lexical_spill) as writers:
        missing = [aid for aid in article_ids if not writers.remove(aid)]
        if writers.changed:
            writers.commit()
    return missing


def clean_question(question: str, max_chars: int) -> str:
    """The question as searched, or InputError with one sentence saying what is wrong."""
    if question is None or not str(question).strip():
        raise InputError("The question is empty.", "Vui lòng nhập câu hỏi.")
    if _SURROGATE.search(str(question)):
        raise InputError("The question holds characters that are not valid text (lone UTF-16 surrogates).",
                         "Câu hỏi có ký tự không hợp lệ.")
    text = normalize(_CONTROL.sub(" ", str(question))).strip()
    if len(text) > max_chars:
        raise InputError(f"The question is too long ({len(text)} characters; the limit is {max_chars}).",
                         f"Câu hỏi quá dài ({len(text)} ký tự; tối đa {max_chars}).")
    if not tokens(text):
        raise InputError("The question has no words to search for.", "Câu hỏi không có từ nào để tìm.")
    return text


@dataclass(frozen=True)
class Asked:
    """A question after follow-up resolution and search: what answer composition starts from."""

    asked: str
    resolved: str
    query: Query
    retriever: Retriever
    k: int
    hits: list
    articles: dict
    terms: QuestionTerms
    unseen_idf: float

    def rescore(self, sentences: list[str]) -> np.ndarray:
        """Cosine of each sentence to the question (whose embedding the dense search already computed)."""
        return self.retriever.embedder.embed_passages(sentences) @ self.retriever.query_vector(self.query.text)


def index_errors(fn: Callable) -> Callable:
    """A query that fails on a damaged SQLite file raises the rebuild sentence, not sqlite3's error."""

    @wraps(fn)
    def guarded(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except sqlite3.DatabaseError as exc:
            raise damaged(args[0].settings.index_path, exc) from exc

    return guarded


def assistant(settings: Settings, embedder: Embedder | None = None) -> Assistant:
    """The assistant the settings ask for: over the Ray cluster QA_SEARCH names, else over this
    machine's index folder (one index, or its shards searched in this process)."""
    if settings.search:
        from .cluster.client import RemoteAssistant

        return RemoteAssistant(settings)
    if is_sharded(settings.index_path):
        from .cluster.search import LocalFanout, ShardedAssistant

        return ShardedAssistant(settings, LocalFanout.open(settings.index_path, settings), embedder)
    return Assistant(settings, embedder)


class Assistant:
    """Answers questions from the index; re-opens the index when an ingest publishes a new generation."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self._embedder = embedder
        self._reader: IndexReader | None = None
        self._stamp: tuple | None = None
        self._checked = lambda: None  # (a weak reference to) the snapshot whose model is the embedder's
        self._lock = threading.Lock()
        self._embedder_lock = threading.Lock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            with self._embedder_lock:  # loaded once even when the first questions arrive together
                if self._embedder is None:
                    self._embedder = load_embedder(self.settings)
        return self._embedder

    def _manifest_stamp(self) -> tuple:
        try:
            st = (self.settings.index_path / MANIFEST).stat()
        except FileNotFoundError:
            read_manifest(self.settings.index_path)  # IndexMissing, or IndexMismatch if only the manifest is lost
            st = (self.settings.index_path / MANIFEST).stat()  # an ingest published one in between
        return st.st_mtime_ns, st.st_size, st.st_ino

    def _snapshot(self) -> IndexReader:
        """The current index snapshot (re-opened if the manifest changed; IndexMismatch if its files
        were damaged since), for what reads articles and the register only: no model is needed.
        A replaced snapshot is closed when the last question using it ends."""
        with self._lock:
            stamp = self._manifest_stamp()
            if self._reader is None or stamp != self._stamp:
                self._reader = self._stamp = None
                self._reader, self._stamp = IndexReader(self.settings.index_path), stamp
            reader = self._reader
        reader.verify()
        return reader

    def reader(self) -> IndexReader:
        """The current snapshot, for searching: IndexMismatch if another model built it."""
        reader = self._snapshot()
        if self._checked() is not reader:
            reader.check_model(self.embedder.model_id)
            self._checked = weakref.ref(reader)
        return reader

    def retriever(self) -> Retriever:
        return Retriever(self.reader(), self.embedder, self.settings)

    @index_errors
    def search(self, question: str, k: int | None = None, filters: Filters = Filters()):
        """The hits for a question, without composing an answer."""
        return self.retriever().search(Query.parse(clean_question(question, self.settings.max_question_chars)), k, filters)

    @index_errors
    def prepare(self, question: str, k: int | None = None, filters: Filters = Filters(),
                history: Sequence[str] = ()) -> Asked:
        """A question made ready for answering: completed from the history, parsed, searched."""
        limit = self.settings.max_question_chars
        asked = clean_question(question, limit)
        earlier = [clean_question(h, limit) for h in history if h is not None and str(h).strip()]
        resolved = resolve(asked, earlier)
        q = Query.parse(resolved)
        retriever = self.retriever()
        k = k or self.settings.top_k
        hits = retriever.search(q, max(k, SEARCHED), filters)
        articles = retriever.index.metas({h.chunk.article_id for h in hits}) if hits else {}
        lexical = retriever.index.lexical
        qt = question_terms(q.folded, q.weights, partial(lexical.idf, "folded"), is_question_word)
        return Asked(asked, resolved, q, retriever, k, hits, articles, qt, lexical.idf("folded", "\x00"))

    def ask(self, question: str, k: int | None = None, filters: Filters = Filters(),
            history: Sequence[str] = (), observe: Callable[[Decision], None] | None = None) -> Answer:
        """Answer one question with cited passages; `history` holds the earlier questions of the
        conversation (oldest first), against which a follow-up question is completed."""
        a = self.prepare(question, k, filters, history)
        s = self.settings
        weights = load_weights(Path(s.answer_weights) if s.answer_weights else WEIGHTS_FILE)
        answer = compose(a.resolved, a.query.english, a.terms, a.hits, a.articles, a.unseen_idf, a.rescore, a.k,
                         weights, None if s.min_confidence < 0 else s.min_confidence, observe)
        answer = replace(answer, question=a.asked, resolved_question=a.resolved, partial=a.retriever.partial)
        if self.settings.llm_url and self.settings.llm_model and answer.found:
            from .llm import generate

            answer = generate(answer, self.settings)
        return answer

    @index_errors
    def documents(self) -> list[register.Document]:
        """Every document the indexed articles cite (the register)."""
        reader = self._snapshot()
        return register.documents(reader.db, reader.folder)

    @index_errors
    def document(self, number: str) -> tuple[register.Document, list[register.Reference]]:
        """One document of the register with every mention of it (InputError if no article cites it)."""
        reader = self._snapshot()
        return register.document(reader.db, reader.folder, number)

    @index_errors
    def catalogue(self) -> list[Article]:
        """Every article's id, file and metadata, without its text, by file name."""
        return self._snapshot().catalogue()

    @index_errors
    def article(self, article_id: str) -> Article:
        """An article by id (InputError if unknown)."""
        art = self._snapshot().article(article_id) if ARTICLE_ID.fullmatch(article_id or "") else None
        if art is None:
            raise InputError(f"Unknown article id {article_id!r}.", "Không có bài viết này.")
        return art

