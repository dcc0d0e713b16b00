"""The lexical index: BM25 over exact Vietnamese terms and over diacritic-folded terms.

Each field keeps term-frequency postings in numpy arrays (term-major CSC: `indptr` over term ids,
`rows` and `tfs` per posting) plus each document's length, and computes BM25 at query time for the
few terms of the question. A commit therefore only appends the new documents' postings to the
previous generation's and drops removed rows: numpy merges, no re-tokenising of the corpus.
Scoring is Lucene's BM25 as bm25s computes it (`tests/test_lexical.py` checks the scores against
bm25s on real text): idf = ln(1 + (N − df + 0.5) / (df + 0.5)), tf / (tf + k1·(1 − b + b·dl/avgdl)).
"""

from __future__ import annotations

import bisect
import copy
import dataclasses
import json
import math
import shutil
import tempfile
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .config import Settings
from .text import fold

FIELDS = ("exact", "folded")
FORMAT = "postings/1"
K1, B = 1.2, 0.75
LONG_POSTINGS = 8192  # a term in more documents is looked up per candidate when its bound allows (`top`)
CANDIDATES = 128  # documents (at least 2n) scored exactly to set the floor θ in `top`
SPILL_POSTINGS = Settings.lexical_spill  # exact-field postings per run (about 20k chunks)
SAMPLE = 1 << 15  # every SAMPLE-th sorted term of a run bounds a block of the vocabulary merge
BLOCK = 1 << 22  # postings per block of the final merge


def _best(scores: np.ndarray, n: int) -> np.ndarray:
    """Rows of the n highest positive scores, ascending by row."""
    rows = np.flatnonzero(scores > 0)
    if rows.size > n:
        rows = np.sort(rows[np.argpartition(-scores[rows], n - 1)[:n]])
    return rows


def idf(documents: int, df: int) -> float:
    """BM25 idf of a term in df of `documents` documents."""
    return math.log(1 + (documents - df + 0.5) / (df + 0.5))


def _norm(doc_len: np.ndarray, mean: float) -> np.ndarray:
    """k1 · (1 − b + b · dl / avgdl) of each document."""
    return (K1 * (1 - B + B * doc_len / max(mean, 1e-9))).astype(np.float32)


@dataclass(frozen=True)
class Collection:
    """BM25's statistics of a whole collection, e.g. all shards of a sharded index: the number of
    documents, their summed length, and the document frequency of each (field, term) asked about.
    A shard scored `within` the collection gives the scores one index over all of it would."""

    documents: int
    length: float  # summed document length (the same in both fields)
    df: dict[tuple[str, str], int] = dataclasses.field(default_factory=dict)

    @property
    def mean_length(self) -> float:
        return self.length / self.documents if self.documents else 1.0

    @classmethod
    def merge(cls, parts: list[Collection]) -> Collection:
        df: dict[tuple[str, str], int] = {}
        for p in parts:
            for key, n in p.df.items():
                df[key] = df.get(key, 0) + n
        return cls(sum(p.documents for p in parts), sum(p.length for p in parts), df)

    def __len__(self) -> int:
        return self.documents

    def idf(self, field: str, token: str) -> float:
        """As LexicalIndex.idf, over the collection (KeyError for a term whose statistics were not gathered)."""
        return idf(self.documents, self.df[(field, token)])

    def known(self, field: str, token: str) -> bool:
        return self.df[(field, token)] > 0


_UNSEEN = object()  # Postings.tid: a term not looked up yet (None means looked up, not found)


class Postings:
    """One field: terms (id = list index), term-major postings, document lengths (row = document).

    A saved field also holds its terms sorted (UTF-8, with offsets and ids), so a reader finds a
    question's terms by binary search in the memory-mapped table instead of building a dict of
    millions of terms at start-up; the term list and dict are built only when a writer asks."""

    def __init__(self, terms: list[str] | None, indptr: np.ndarray, rows: np.ndarray, tfs: np.ndarray,
                 doc_len: np.ndarray, folder: Path | None = None):
        self._terms, self._ids, self._folder = terms, None, folder
        self.indptr = indptr  # int64 [terms + 1]
        self.rows = rows  # int32 [postings], ascending within a term
        self.tfs = tfs  # float32 [postings]
        self.doc_len = doc_len  # float32 [documents]
        self.documents = len(doc_len)  # BM25's N: the whole collection's for a shard (`within`)
        mean = float(self.doc_len.mean()) if len(self.doc_len) else 1.0
        self._norm = _norm(self.doc_len, mean)
        self._sorted, self._seen = None, {}
        if terms is None and (folder / "sorted_ids.npy").exists() and len(indptr) > 1:
            # Read into memory, not mapped: a file truncated or rewritten under a running server must
            # not kill it (touching a mapped page past the new end of file is SIGBUS).
            blob = (folder / "sorted.bin").read_bytes()
            self._sorted = (blob, array("q", np.load(folder / "sorted_offsets.npy").tobytes()),
                            np.load(folder / "sorted_ids.npy"))

    @property
    def terms(self) -> list[str]:
        if self._terms is None:
            text = (self._folder / "terms.txt").read_text(encoding="utf-8")
            self._terms = text.split("\n") if text else []
        return self._terms

    @property
    def ids(self) -> dict[str, int]:
        if self._ids is None:
            self._ids = {t: i for i, t in enumerate(self.terms)}
        return self._ids

    def tid(self, term: str) -> int | None:
        """The id of a term, or None. A question's terms are looked up several times per ask (scores of
        both fields, `known`, `idf` for the relevance gate), so found ids are remembered."""
        if self._sorted is None:
            return self.ids.get(term)
        # One dict lookup, not "in" then "[]": another thread may clear the dict between the two.
        tid = self._seen.get(term, _UNSEEN)
        if tid is not _UNSEEN:
            return tid
        if len(self._seen) > 100_000:
            self._seen.clear()
        self._seen[term] = tid = self._search(term)
        return tid

    def _search(self, term: str) -> int | None:
        """Binary search of the sorted on-disk term table."""
        blob, offsets, ids = self._sorted
        key, lo, hi = term.encode("utf-8"), 0, len(ids)
        while lo < hi:
            mid = (lo + hi) // 2
            if blob[offsets[mid]:offsets[mid + 1]] < key:
                lo = mid + 1
            else:
                hi = mid
        found = lo < len(ids) and blob[offsets[lo]:offsets[lo + 1]] == key
        return int(ids[lo]) if found else None

    @classmethod
    def empty(cls) -> Postings:
        return cls([], np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(0, np.float32))

    def df(self, term: str) -> int:
        tid = self.tid(term)
        return 0 if tid is None else int(self.indptr[tid + 1] - self.indptr[tid])

    def span(self, term: str) -> tuple[int, int]:
        """The term's postings as [lo, hi) in rows/tfs (empty for an unknown term)."""
        tid = self.tid(term)
        return (0, 0) if tid is None else (int(self.indptr[tid]), int(self.indptr[tid + 1]))

    def idf(self, df: int) -> float:
        """BM25 idf of a term in df of these documents."""
        return idf(self.documents, df)

    def within(self, documents: int, mean_length: float) -> Postings:
        """These postings scored as part of a larger collection: BM25's N and average length are the
        collection's (the arrays are shared, not copied)."""
        view = copy.copy(self)
        view.documents = documents
        view._norm = _norm(self.doc_len, mean_length)
        return view

    def add_scores(self, out: np.ndarray, term: str, weight: float) -> None:
        lo, hi = self.span(term)
        if lo < hi:
            self.add_span(out, lo, hi, weight * self.idf(hi - lo))

    def add_span(self, out: np.ndarray, lo: int, hi: int, weight: float) -> None:
        """out[row] += weight · tf / (tf + norm) over the postings lo:hi (weight already includes the idf)."""
        rows, tf = self.rows[lo:hi], self.tfs[lo:hi]
        out[rows] += weight * tf / (self._norm[rows] + tf)

    def span_scores(self, lo: int, hi: int, weight: float, docs: np.ndarray) -> np.ndarray:
        """weight · tf / (tf + norm) of the postings lo:hi for the given ascending rows (0 where a row lacks
        the term): a binary search per row in the term's ascending posting rows, not a pass over them all."""
        rows = self.rows[lo:hi]
        at = np.minimum(np.searchsorted(rows, docs), hi - lo - 1)
        found = rows[at] == docs
        tf = np.where(found, self.tfs[lo:hi][at], 0).astype(np.float32)
        return weight * tf / (self._norm[docs] + tf)

    def merged(self, terms: list[str], new_t: np.ndarray, new_tf: np.ndarray, sizes: np.ndarray,
               lengths: list[int], keep: np.ndarray) -> Postings:
        """These postings without the rows where keep is False, plus new rows: document i has term ids
        new_t and frequencies new_tf over its slice (sizes[i] long); terms extends self.terms.

        Each term's surviving postings come first, then its new ones (new rows are numbered after the
        old), so rows stay ascending within a term. Memory: about 4 arrays of the postings' length,
        int32 and float32; only the new postings are sorted."""
        n_terms, first = len(terms), int(keep.sum())
        order = np.argsort(new_t, kind="stable")  # term-major; rows ascending within a term
        new_r = np.repeat(np.arange(first, first + len(sizes), dtype=np.int32), sizes)[order]
        new_t, new_tf = new_t[order], new_tf[order]
        del order
        old_count = np.diff(self.indptr)
        old_r, old_tf = np.asarray(self.rows), np.asarray(self.tfs)
        if not keep.all():
            alive = keep[old_r]
            old_t = np.repeat(np.arange(len(old_count), dtype=np.int32), old_count)[alive]
            old_count = np.bincount(old_t, minlength=len(old_count))
            del old_t
            old_r = (np.cumsum(keep, dtype=np.int64) - 1).astype(np.int32)[old_r[alive]]
            old_tf = old_tf[alive]
        old_count = np.concatenate([old_count, np.zeros(n_terms - len(old_count), np.int64)])
        new_count = np.bincount(new_t, minlength=n_terms)
        indptr = np.zeros(n_terms + 1, np.int64)
        np.cumsum(old_count + new_count, out=indptr[1:])
        if not len(old_r):  # a first build: the sorted new postings are the result
            rows, tfs = new_r, new_tf
        else:  # place each posting at its term's start plus its rank among the term's old or new ones
            rows, tfs = np.empty(indptr[-1], np.int32), np.empty(indptr[-1], np.float32)
            shift = indptr[:-1] - np.concatenate([[0], np.cumsum(old_count)[:-1]])
            at = np.arange(len(old_r), dtype=np.int64) + np.repeat(shift, old_count)
            rows[at], tfs[at] = old_r, old_tf
            shift = indptr[:-1] + old_count - np.concatenate([[0], np.cumsum(new_count)[:-1]])
            at = np.arange(len(new_r), dtype=np.int64) + np.repeat(shift, new_count)
            rows[at], tfs[at] = new_r, new_tf
        doc_len = np.concatenate([self.doc_len[keep], np.asarray(lengths, np.float32)]).astype(np.float32)
        return Postings(terms, indptr, rows, tfs, doc_len)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        terms = self.terms
        (folder / "terms.txt").write_text("\n".join(terms), encoding="utf-8")
        for name in ("indptr", "rows", "tfs", "doc_len"):
            np.save(folder / f"{name}.npy", getattr(self, name))
        order = sorted(range(len(terms)), key=terms.__getitem__)  # code-point order = UTF-8 byte order
        encoded = [terms[i].encode("utf-8") for i in order]
        (folder / "sorted.bin").write_bytes(b"".join(encoded))
        np.save(folder / "sorted_offsets.npy", np.cumsum([0] + [len(e) for e in encoded], dtype=np.int64))
        np.save(folder / "sorted_ids.npy", np.asarray(order, dtype=np.int64))

    @classmethod
    def load(cls, folder: Path) -> Postings:
        # read into memory (plain ndarrays), not mapped: see __init__
        arrays = {n: np.load(folder / f"{n}.npy") for n in ("indptr", "rows", "tfs", "doc_len")}
        return cls(None, **arrays, folder=folder)


class LexicalIndex:
    """Two BM25 fields over the same documents; document i is the chunk at FAISS position positions[i]."""

    def __init__(self, fields: dict[str, Postings], positions: np.ndarray,
                 df: dict[tuple[str, str], int] | None = None):
        self._fields = fields
        self.positions = positions
        self._df = df  # a shard's view (`within`): each (field, term)'s document frequency in the collection

    def field(self, name: str) -> Postings:
        """One field's postings (read only)."""
        return self._fields[name]

    def statistics(self, keys: list[tuple[str, str]]) -> Collection:
        """This index's BM25 statistics for the given (field, term) pairs (a shard's part of a Collection)."""
        length = float(self._fields["exact"].doc_len.sum(dtype=np.float64))
        return Collection(len(self.positions), length, {(f, t): self._fields[f].df(t) for f, t in keys})

    def within(self, collection: Collection) -> LexicalIndex:
        """This index (a shard) scored with a whole collection's statistics: `top` gives the scores one
        index over the whole collection would give its documents."""
        fields = {f: p.within(collection.documents, collection.mean_length) for f, p in self._fields.items()}
        return LexicalIndex(fields, self.positions, collection.df)

    @classmethod
    def build(cls, docs: list[list[str]], positions: np.ndarray) -> LexicalIndex:
        """Index token lists (exact tokens; the folded field is derived)."""
        update = LexicalUpdate(cls.empty())
        for doc, pos in zip(docs, positions):
            update.add(doc, int(pos))
        return update.apply()

    @classmethod
    def empty(cls) -> LexicalIndex:
        return cls({f: Postings.empty() for f in FIELDS}, np.zeros(0, dtype=np.int64))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, postings in self._fields.items():
            postings.save(folder / name)
        np.save(folder / "positions.npy", self.positions)
        (folder / "format.json").write_text(json.dumps({"format": FORMAT, "k1": K1, "b": B, "fields": list(FIELDS)}))

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        meta = json.loads((folder / "format.json").read_text())
        if meta.get("format") != FORMAT:
            raise ValueError(f"lexical index format {meta.get('format')!r}, expected {FORMAT}")
        return cls({f: Postings.load(folder / f) for f in FIELDS}, np.load(folder / "positions.npy"))

    def __len__(self) -> int:
        return len(self.positions)

    def scores(self, field: str, query: list[str], weights: list[float] | None = None) -> np.ndarray:
        """BM25 score of every document for the query tokens (unknown tokens ignored)."""
        out = np.zeros(len(self.positions), dtype=np.float32)
        postings = self._fields[field]
        for tok, w in zip(query, weights or [1.0] * len(query)):
            if tok:
                postings.add_scores(out, tok, w)
        return out

    def top(self, parts: list[tuple[str, str, float]], n: int,
            allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The n best (position, BM25) for weighted (field, term, weight) parts, best first, ties by
        position: the same ranking as summing `scores` over the parts, without scoring every document
        that holds a common term.

        MaxScore (Turtle & Flood), term-at-a-time over numpy arrays. Short postings are scored in full.
        The best `CANDIDATES` documents so far are then scored exactly on the long postings too (a
        binary search per document); the n-th best of them, θ, is a floor for the true n-th best. A
        long term can add at most its weight·idf (tf / (tf + norm) < 1), so the long terms with the
        smallest bounds, while those sum below θ, cannot lift a document that lacks every other term
        into the top n: they are only looked up for the documents that could still reach θ, largest
        bound first, dropping a document as soon as it cannot. The other long terms are scored in
        full. `allowed` (a boolean mask over documents) limits the search, as a filter would."""
        if n <= 0:
            return []
        spans = self._spans(parts)
        acc = np.zeros(len(self.positions), dtype=np.float32)
        long = [s for s in spans if s[2] - s[1] > LONG_POSTINGS]
        for postings, lo, hi, w in spans[: len(spans) - len(long)]:
            postings.add_span(acc, lo, hi, w)
        if allowed is not None:
            acc[~allowed] = 0
        floor = 0.0
        if long:  # θ from the best candidates so far, scored exactly
            docs = _best(acc, max(CANDIDATES, 2 * n))
            exact = acc[docs] + sum((p.span_scores(lo, hi, w, docs) for p, lo, hi, w in long), np.float32(0))
            if np.count_nonzero(exact > 0) >= n:
                floor = float(np.partition(exact, len(exact) - n)[len(exact) - n])
        long.sort(key=lambda s: s[3])  # smallest bound first: the terms a document needs others to reach θ with
        bound, k = 0.0, 0
        while k < len(long) and bound + long[k][3] < floor * (1 - 1e-5):
            bound += long[k][3]
            k += 1
        lookup = long[:k]
        for postings, lo, hi, w in long[k:]:
            postings.add_span(acc, lo, hi, w)
        if allowed is not None:
            acc[~allowed] = 0
        if lookup:  # the documents that can still reach θ, dropped as soon as they cannot
            docs = np.flatnonzero(acc >= (floor - bound) * (1 - 1e-5))
            scores = acc[docs]
            for postings, lo, hi, w in reversed(lookup):  # largest bound first: the remaining bound falls fastest
                bound -= w
                if docs.size * math.log2(hi - lo) < 2 * (hi - lo):  # binary searches cost less than a pass
                    scores = scores + postings.span_scores(lo, hi, w, docs)
                else:
                    extra = np.zeros(len(acc), dtype=np.float32)
                    postings.add_span(extra, lo, hi, w)
                    scores = scores + extra[docs]
                alive = scores + bound >= floor * (1 - 1e-5)
                docs, scores = docs[alive], scores[alive]
        else:
            docs = np.flatnonzero(acc > 0)
            scores = acc[docs]
        keep = scores > 0
        docs, scores = docs[keep], scores[keep]
        if docs.size > n:  # keep every document tied with the n-th: ties go to the lowest position
            tied = scores >= np.partition(scores, docs.size - n)[docs.size - n]
            docs, scores = docs[tied], scores[tied]
        order = np.lexsort((self.positions[docs], -scores))[:n]
        return [(int(self.positions[d]), float(s)) for d, s in zip(docs[order], scores[order])]

    def _spans(self, parts: list[tuple[str, str, float]]) -> list[tuple[Postings, int, int, float]]:
        """(postings, lo, hi, weight × idf) of each distinct known (field, term), shortest postings first;
        a term given twice adds its weights."""
        weights: dict[tuple[str, str], float] = {}
        for field, term, w in parts:
            if term and w > 0:
                weights[(field, term)] = weights.get((field, term), 0.0) + w
        spans = []
        for (field, term), w in weights.items():
            postings = self._fields[field]
            lo, hi = postings.span(term)
            if lo < hi:
                df = hi - lo if self._df is None else self._df[(field, term)]
                spans.append((df, (postings, lo, hi, w * postings.idf(df))))
        # by the collection's document frequency: a shard then sums a document's terms in the same order
        return [span for _, span in sorted(spans, key=lambda s: s[0])]

    def idf(self, field: str, token: str) -> float:
        """BM25 inverse document frequency of a token (a token the index never saw gets the highest)."""
        postings = self._fields[field]
        return postings.idf(self._df[(field, token)] if self._df is not None else postings.df(token))

    def known(self, field: str, token: str) -> bool:
        """Whether any indexed document contains the token."""
        return (self._df[(field, token)] if self._df is not None else self._fields[field].df(token)) > 0


class LexicalUpdate:
    """Additions and removals waiting for the next commit, in bounded memory.

    Documents arrive in a run: a dict of the run's own terms (not the whole vocabulary) and flat
    arrays of (run term id, tf). When a run holds `spill` postings of the exact field it is written to
    `spill_dir` as sorted runs: its terms sorted by UTF-8 bytes, each with the posting ordinal of its
    first appearance, and its postings. `save` then merges the runs and the base into the saved
    format in three passes, each over bounded blocks: (1) the vocabularies, merged by term bytes (the
    sorted term table, written as it goes; a new term's id is its rank by first appearance, after the
    base's ids, as an in-memory build numbers them), (2) each run's postings, renumbered and sorted
    by term id, (3) the postings of blocks of term ids from the base and every run, written in order.
    Memory: one run, plus about 40 bytes per distinct term (offsets, ids, first appearances). `apply` is the
    in-memory merge; both give byte-identical files."""

    def __init__(self, base: LexicalIndex, spill: int = SPILL_POSTINGS, spill_dir: Path | None = None):
        self.base = base
        self.spill = max(1, int(spill))
        self.spill_dir = Path(spill_dir) if spill_dir is not None else None
        self._own_dir = False  # spill_dir made here (a temporary folder): removed with the runs
        self._runs: list[dict[str, Path]] = []  # per run, the folder of each field's files
        self._samples: dict[str, list[bytes]] = {f: [] for f in FIELDS}  # every SAMPLE-th sorted term of each run
        self._count = {f: 0 for f in FIELDS}  # postings added so far (the next posting's ordinal)
        self._lengths = array("q")
        self._positions = array("q")
        self._removed: list[int] = []
        self._new_run()

    def _new_run(self) -> None:
        self._ids: dict[str, dict[str, int]] = {f: {} for f in FIELDS}  # the run's term → run id (first-seen order)
        self._first: dict[str, array] = {f: array("q") for f in FIELDS}  # per run id: ordinal of its first posting
        self._tids = {f: array("i") for f in FIELDS}
        self._tfs = {f: array("f") for f in FIELDS}
        self._sizes = {f: array("q") for f in FIELDS}  # postings of each of the run's documents
        self._doc0 = len(self._positions)  # the number among the added of the run's first document

    def add(self, tokens: list[str], position: int) -> None:
        exact = Counter(t for t in tokens if t)
        folded: Counter[str] = Counter()
        for term, n in zip(fold("\0".join(exact)).split("\0"), exact.values()):  # one fold call per document
            folded[term] += n
        for field, counts in (("exact", exact), ("folded", folded)):
            ids, at, seen = self._ids[field], self._count[field], len(self._ids[field])
            row = [ids.setdefault(term, len(ids)) for term in counts]  # a new term gets the run's next id
            if len(ids) > seen:  # the new ones, in id order: the ordinal of their first posting
                self._first[field].extend([at + k for k, tid in enumerate(row) if tid >= seen])
            self._tids[field].extend(row)
            self._tfs[field].extend(counts.values())
            self._sizes[field].append(len(row))
            self._count[field] = at + len(row)
        self._lengths.append(exact.total())
        self._positions.append(position)
        if len(self._tids["exact"]) >= self.spill:
            self._spill()

    def remove(self, positions: list[int]) -> None:
        self._removed += positions

    # -- runs on disk -------------------------------------------------------------------------
    def _spill(self) -> None:
        """Write the current run to disk, sorted, and start a new one."""
        if self.spill_dir is None:
            self.spill_dir, self._own_dir = Path(tempfile.mkdtemp(prefix="qa-lexical-runs-")), True
        run = {}
        for f in FIELDS:
            folder = self.spill_dir / f"run-{len(self._runs):05d}" / f
            folder.mkdir(parents=True, exist_ok=True)
            ids = self._ids[f]
            terms = sorted(ids)  # code-point order = UTF-8 byte order; no key function: twice as fast
            order = [ids[t] for t in terms]
            encoded = [t.encode("utf-8") for t in terms]
            del terms
            (folder / "terms.bin").write_bytes(b"".join(encoded))
            np.cumsum([0] + [len(e) for e in encoded], dtype=np.int64).tofile(folder / "offsets.bin")
            np.asarray(order, dtype=np.int32).tofile(folder / "lids.bin")  # run id of each sorted term
            np.frombuffer(self._first[f], dtype=np.int64)[order].tofile(folder / "first.bin")
            np.frombuffer(self._tids[f], dtype=np.int32).tofile(folder / "tids.bin")
            np.frombuffer(self._tfs[f], dtype=np.float32).tofile(folder / "tfs.bin")
            self._rows(f).tofile(folder / "rows.bin")
            (folder / "count").write_text(str(len(order)))
            self._samples[f] += encoded[SAMPLE::SAMPLE]
            run[f] = folder
        self._runs.append(run)
        self._new_run()

    def _rows(self, field: str) -> np.ndarray:
        """The document (its number among the added) of each of the run's postings."""
        sizes = np.frombuffer(self._sizes[field], dtype=np.int64) if len(self._sizes[field]) else np.zeros(0, np.int64)
        return np.repeat(np.arange(self._doc0, self._doc0 + len(sizes), dtype=np.int32), sizes)

    def discard(self) -> None:
        """Delete the runs written so far (the update is not applied)."""
        if self.spill_dir is not None and self._runs:
            for run in self._runs:
                shutil.rmtree(next(iter(run.values())).parent, ignore_errors=True)
            if self._own_dir:
                shutil.rmtree(self.spill_dir, ignore_errors=True)
        self._runs = []

    # -- the merge ----------------------------------------------------------------------------
    def _masks(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """keep (over base rows), fresh (over added documents), added positions, and each added
        document's new row (-1: added, then removed again before the commit)."""
        removed = np.asarray(self._removed, dtype=np.int64)
        added = np.frombuffer(self._positions, dtype=np.int64) if len(self._positions) else np.zeros(0, np.int64)
        fresh = ~np.isin(added, removed)
        keep = ~np.isin(self.base.positions, removed)
        rowmap = np.where(fresh, int(keep.sum()) + np.cumsum(fresh) - 1, -1).astype(np.int32)
        return keep, fresh, added, rowmap

    def apply(self) -> LexicalIndex:
        """The base index with the changes merged in (numpy work over the postings; nothing re-tokenised).
        It consumes the update. With runs spilled to disk the merge is `save`'s, read back into memory."""
        if self._runs:
            folder = Path(tempfile.mkdtemp(prefix="qa-lexical-"))
            try:
                self.save(folder)
                lex = LexicalIndex.load(folder)
                for p in lex._fields.values():
                    p._terms = p.terms  # read now: the folder goes
                    p._folder = None
                    p._sorted = None
                return lex
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        keep, fresh, added, _ = self._masks()
        lengths = [n for n, f in zip(self._lengths, fresh) if f]
        fields = {}
        for f in FIELDS:
            base = self.base._fields[f]
            run_terms = list(self._ids.pop(f))
            lut = np.empty(len(run_terms), np.int32)
            new_terms, n_base = [], len(base.indptr) - 1
            for i, term in enumerate(run_terms):  # a run id is first-seen order: new terms keep that order
                tid = base.tid(term) if n_base else None
                if tid is None:
                    tid = n_base + len(new_terms)
                    new_terms.append(term)
                lut[i] = tid
            tids = np.frombuffer(self._tids.pop(f), dtype=np.int32)
            rows = self._rows(f)
            alive = fresh[rows] if len(rows) else np.zeros(0, bool)
            new_t = lut[tids][alive]
            new_tf = np.frombuffer(self._tfs.pop(f), dtype=np.float32)[alive]
            sizes = np.bincount(rows[alive], minlength=len(fresh))[fresh] if len(fresh) else np.zeros(0, np.int64)
            terms = (base.terms + new_terms) if n_base else new_terms
            fields[f] = base.merged(terms, new_t, new_tf, sizes, lengths, keep)
        return LexicalIndex(fields, np.concatenate([self.base.positions[keep], added[fresh]]))

    def save(self, folder: Path) -> int:
        """Write the base index with the changes merged in to `folder` (the files `LexicalIndex.save`
        writes, byte for byte), streaming the runs; returns the number of documents. It consumes the
        update and deletes its runs."""
        if len(self._positions) == 0 and not self._removed and not self._runs:
            self.base.save(folder)
            return len(self.base)
        self._spill()  # the last run too: one path for every size
        try:
            folder.mkdir(parents=True, exist_ok=True)
            keep, fresh, added, rowmap = self._masks()
            lengths = np.frombuffer(self._lengths, dtype=np.int64)[fresh] if len(fresh) else np.zeros(0, np.int64)
            for f in FIELDS:
                doc_len = np.concatenate([self.base._fields[f].doc_len[keep], lengths.astype(np.float32)])
                _MergedField(self.base._fields[f], [run[f] for run in self._runs], self._samples[f],
                             keep, rowmap, doc_len.astype(np.float32)).save(folder / f)
            doc_count = int(keep.sum() + fresh.sum())
            np.save(folder / "positions.npy", np.concatenate([self.base.positions[keep], added[fresh]]))
            (folder / "format.json").write_text(json.dumps({"format": FORMAT, "k1": K1, "b": B, "fields": list(FIELDS)}))
        finally:
            self.discard()
        return doc_count




class _Sorted:
    """A sorted term table read in order, SAMPLE entries at a time: terms (bytes) with arrays beside them."""

    def __init__(self, count: int, read):
        self.count, self._read = count, read  # read(lo, hi) -> (terms, arrays) of entries lo:hi
        self.at, self._lo, self._terms, self._arrays = 0, 0, [], ()  # next entry; the buffer starts at _lo

    def below(self, pivot: bytes | None) -> tuple[list[bytes], list[np.ndarray]]:
        """The next entries whose term sorts before pivot (all the rest when pivot is None)."""
        terms, arrays = [], []
        while self.at < self.count:
            if self.at - self._lo >= len(self._terms):
                self._lo = self.at
                self._terms, self._arrays = self._read(self.at, min(self.count, self.at + SAMPLE))
            a = self.at - self._lo
            k = len(self._terms) if pivot is None else bisect.bisect_left(self._terms, pivot, a)
            terms += self._terms[a:k]
            arrays.append([x[a:k] for x in self._arrays])
            self.at = self._lo + k
            if k < len(self._terms):
                break
        return terms, [np.concatenate(x) for x in zip(*arrays)] if arrays else []


def _split(blob: bytes, offsets: np.ndarray) -> list[bytes]:
    base = int(offsets[0])
    return [blob[a - base:b - base] for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist())]


def _run_table(folder: Path) -> _Sorted:
    def read(lo: int, hi: int) -> tuple[list[bytes], tuple[np.ndarray, ...]]:
        offsets = np.fromfile(folder / "offsets.bin", np.int64, hi - lo + 1, offset=8 * lo)
        with open(folder / "terms.bin", "rb") as fh:
            fh.seek(int(offsets[0]))
            blob = fh.read(int(offsets[-1] - offsets[0]))
        return _split(blob, offsets), (np.fromfile(folder / "lids.bin", np.int32, hi - lo, offset=4 * lo),
                                       np.fromfile(folder / "first.bin", np.int64, hi - lo, offset=8 * lo))

    return _Sorted(int((folder / "count").read_text()), read)


def _base_table(postings: Postings) -> tuple[_Sorted, list[bytes]]:
    """The base field's terms in byte order with their ids, and samples of them."""
    if postings._sorted is not None:
        blob, offsets, ids = postings._sorted
        offsets = np.frombuffer(offsets, dtype=np.int64)
    else:
        terms = postings.terms
        order = sorted(range(len(terms)), key=terms.__getitem__)
        encoded = [terms[i].encode("utf-8") for i in order]
        blob, ids = b"".join(encoded), np.asarray(order, dtype=np.int64)
        offsets = np.cumsum([0] + [len(e) for e in encoded], dtype=np.int64)
    count = len(ids)
    table = _Sorted(count, lambda lo, hi: (_split(blob[offsets[lo]:offsets[hi]], offsets[lo:hi + 1]),
                                           (np.asarray(ids[lo:hi], dtype=np.int64),)))
    samples = [bytes(blob[offsets[i]:offsets[i + 1]]) for i in range(SAMPLE, count, SAMPLE)]
    return table, samples


def _npy_header(fh, dtype, length: int) -> None:
    """The header np.save writes for a 1-d array of this dtype and length."""
    np.lib.format.write_array_header_1_0(fh, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                              "fortran_order": False, "shape": (length,)})


class _MergedField:
    """One field of `LexicalUpdate.save`: the base's postings and the spilled runs, merged to disk."""

    def __init__(self, base: Postings, runs: list[Path], samples: list[bytes], keep: np.ndarray,
                 rowmap: np.ndarray, doc_len: np.ndarray):
        self.base, self.runs, self.samples, self.keep, self.rowmap = base, runs, samples, keep, rowmap
        self.doc_len = doc_len

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        n_base = len(self.base.indptr) - 1
        lut, offsets, id_of_sid, new_sids = self._vocabulary(folder, n_base)
        n_terms = len(id_of_sid)
        np.save(folder / "sorted_offsets.npy", offsets)
        np.save(folder / "sorted_ids.npy", id_of_sid)
        self._terms_txt(folder, n_base, offsets, new_sids)
        del offsets, new_sids
        counts = self._renumber(lut, id_of_sid, n_terms)
        del lut, id_of_sid
        old_count = np.zeros(n_terms, np.int64)
        base_rows = None
        if n_base:
            base_count = np.diff(self.base.indptr)
            if not self.keep.all():
                alive = self.keep[self.base.rows]
                base_count = np.bincount(np.repeat(np.arange(n_base, dtype=np.int32), base_count)[alive],
                                         minlength=n_base)
                base_rows = (np.cumsum(self.keep, dtype=np.int64) - 1).astype(np.int32)
            old_count[:n_base] = base_count
        indptr = np.zeros(n_terms + 1, np.int64)
        np.cumsum(old_count + counts, out=indptr[1:])
        np.save(folder / "indptr.npy", indptr)
        self._postings(folder, indptr, base_rows)
        np.save(folder / "doc_len.npy", self.doc_len)

    # pass 1
    def _vocabulary(self, folder: Path, n_base: int):
        """Merge the base's and the runs' sorted terms: writes sorted.bin; returns each run's run id →
        sorted index, the sorted offsets, each sorted term's id, and the new terms' sorted indices in
        id order."""
        base, samples = _base_table(self.base) if n_base else (None, [])
        tables = [_run_table(r) for r in self.runs]
        lut = [np.full(t.count, -1, np.int32) for t in tables]
        pivots = sorted(set(self.samples) | set(samples)) + [None]
        offsets, sids_base, ids_base, sids_new, firsts = [np.zeros(1, np.int64)], [], [], [], []
        total, end = 0, 0
        with open(folder / "sorted.bin", "wb") as out:
            for pivot in pivots:
                parts = [t.below(pivot) for t in tables]
                b_terms, b_arrays = base.below(pivot) if base else ([], [])
                uniq = sorted(set(b_terms).union(*(p[0] for p in parts)))
                if not uniq:
                    continue
                where = {t: i for i, t in enumerate(uniq)}
                first = np.full(len(uniq), np.iinfo(np.int64).max, np.int64)
                for (terms, arrays), table_lut in zip(parts, lut):
                    if not terms:
                        continue
                    lids, fst = arrays
                    s = np.fromiter((where[t] for t in terms), np.int64, len(terms))
                    table_lut[lids] = total + s
                    np.minimum.at(first, s, fst)
                is_base = np.zeros(len(uniq), bool)
                if b_terms:
                    s = np.fromiter((where[t] for t in b_terms), np.int64, len(b_terms))
                    is_base[s] = True
                    sids_base.append(total + s)
                    ids_base.append(b_arrays[0])
                new = np.flatnonzero(~is_base)
                sids_new.append(total + new)
                firsts.append(first[new])
                out.write(b"".join(uniq))
                lens = np.fromiter(map(len, uniq), np.int64, len(uniq))
                offsets.append(end + np.cumsum(lens))
                end += int(lens.sum())
                total += len(uniq)
        offsets = np.concatenate(offsets)
        id_of_sid = np.empty(total, np.int64)
        if sids_base:
            id_of_sid[np.concatenate(sids_base)] = np.concatenate(ids_base)
        sids_new = np.concatenate(sids_new) if sids_new else np.zeros(0, np.int64)
        firsts = np.concatenate(firsts) if firsts else np.zeros(0, np.int64)
        new_sids = sids_new[np.argsort(firsts, kind="stable")]  # first-seen order: the ids an in-memory build gives
        id_of_sid[new_sids] = n_base + np.arange(len(new_sids), dtype=np.int64)
        return lut, offsets, id_of_sid, new_sids

    def _terms_txt(self, folder: Path, n_base: int, offsets: np.ndarray, new_sids: np.ndarray) -> None:
        with open(folder / "terms.txt", "wb") as out:
            if n_base:
                if self.base._terms is None:
                    with open(self.base._folder / "terms.txt", "rb") as src:
                        shutil.copyfileobj(src, out)
                else:
                    out.write("\n".join(self.base._terms).encode("utf-8"))
            if not len(new_sids):
                return
            if n_base:
                out.write(b"\n")
            with open(folder / "sorted.bin", "rb") as fh:
                blob = fh.read() if offsets[-1] else b""
            # not mapped, read: the file is this writer's own; its size is that of the sorted table
            for lo in range(0, len(new_sids), 1 << 16):
                s = new_sids[lo:lo + (1 << 16)]
                a, b = offsets[s].tolist(), offsets[s + 1].tolist()
                out.write((b"\n" if lo else b"") + b"\n".join([blob[i:j] for i, j in zip(a, b)]))
            del blob

    # pass 2
    def _renumber(self, lut: list[np.ndarray], id_of_sid: np.ndarray, n_terms: int) -> np.ndarray:
        """Each run's postings with final term ids and rows, sorted by term id (stable: rows ascending
        within a term), written beside the run; returns the new postings per term."""
        counts = np.zeros(n_terms, np.int64)
        for run, run_lut in zip(self.runs, lut):
            g = id_of_sid[run_lut][np.fromfile(run / "tids.bin", np.int32)].astype(np.int32)
            rows = self.rowmap[np.fromfile(run / "rows.bin", np.int32)]
            tfs = np.fromfile(run / "tfs.bin", np.float32)
            alive = rows >= 0
            g, rows, tfs = g[alive], rows[alive], tfs[alive]
            order = np.argsort(g, kind="stable")
            g[order].tofile(run / "g.bin")
            rows[order].tofile(run / "r.bin")
            tfs[order].tofile(run / "f.bin")
            counts += np.bincount(g, minlength=n_terms)
            for name in ("tids", "rows", "tfs"):
                (run / f"{name}.bin").unlink()
        return counts

    # pass 3
    def _postings(self, folder: Path, indptr: np.ndarray, base_rows: np.ndarray | None) -> None:
        n_terms, total = len(indptr) - 1, int(indptr[-1])
        n_base = len(self.base.indptr) - 1
        cuts = np.unique(np.concatenate([[0], np.searchsorted(indptr, np.arange(BLOCK, total, BLOCK)), [n_terms]]))
        # mapped only for the binary searches of the block ends (a few pages); slices are read
        gs = [np.memmap(r / "g.bin", np.int32, "r") if (r / "g.bin").stat().st_size else np.zeros(0, np.int32)
              for r in self.runs]
        at = [0] * len(self.runs)
        with open(folder / "rows.npy", "wb") as out_r, open(folder / "tfs.npy", "wb") as out_f:
            _npy_header(out_r, np.int32, total)
            _npy_header(out_f, np.float32, total)
            for a, b in zip(cuts[:-1].tolist(), cuts[1:].tolist()):
                parts_t, parts_r, parts_f = [], [], []
                if a < n_base:
                    lo, hi = int(self.base.indptr[a]), int(self.base.indptr[min(b, n_base)])
                    rows, tfs = np.asarray(self.base.rows[lo:hi]), np.asarray(self.base.tfs[lo:hi])
                    t = np.repeat(np.arange(a, min(b, n_base), dtype=np.int32),
                                  np.diff(self.base.indptr[a:min(b, n_base) + 1]))
                    if base_rows is not None:
                        alive = self.keep[rows]
                        t, rows, tfs = t[alive], base_rows[rows[alive]], tfs[alive]
                    parts_t.append(t), parts_r.append(rows), parts_f.append(tfs)
                for k, (run, g) in enumerate(zip(self.runs, gs)):
                    lo, hi = at[k], int(np.searchsorted(g, b)) if len(g) else 0
                    at[k] = hi
                    if hi > lo:
                        parts_t.append(np.fromfile(run / "g.bin", np.int32, hi - lo, offset=4 * lo))
                        parts_r.append(np.fromfile(run / "r.bin", np.int32, hi - lo, offset=4 * lo))
                        parts_f.append(np.fromfile(run / "f.bin", np.float32, hi - lo, offset=4 * lo))
                if not parts_t:
                    continue
                order = np.argsort(np.concatenate(parts_t), kind="stable")
                out_r.write(np.concatenate(parts_r)[order].astype(np.int32).tobytes())
                out_f.write(np.concatenate(parts_f)[order].astype(np.float32).tobytes())
        del gs
