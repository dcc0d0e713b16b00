"""The lexical index: BM25 over exact Vietnamese terms and over diacritic-folded terms.

Each field keeps term-frequency postings in numpy arrays (term-major CSC: `indptr` over term ids,
`rows` and `tfs` per posting) plus each document's length, and computes BM25 at query time for the
few terms of the question. A commit therefore only appends the new documents' postings to the
previous generation's and drops removed rows: numpy merges, no re-tokenising of the corpus.
Scoring is Lucene's BM25 as bm25s computes it (`tests/test_lexical.py` checks the scores against
bm25s on real text): idf = ln(1 + (N − df + 0.5) / (df + 0.5)), tf / (tf + k1·(1 − b + b·dl/avgdl)).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .text import fold

FIELDS = ("exact", "folded")
FORMAT = "postings/1"
K1, B = 1.2, 0.75
LONG_POSTINGS = 8192  # a term in more documents is looked up per candidate when its bound allows (`top`)
CANDIDATES = 128  # documents (at least 2n) scored exactly to set the floor θ in `top`


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
    """Additions and removals waiting for the next commit. Terms become ids as documents arrive, so a
    long ingest holds about 12 bytes per distinct term per chunk rather than the strings."""

    def __init__(self, base: LexicalIndex):
        self.base = base
        # term → id in id order (its keys become the new term table); built from the term list rather than
        # copied from the base's cached dict, so a writer holds one dict of the vocabulary, not two
        self._ids = {f: {t: i for i, t in enumerate(base._fields[f].terms)} for f in FIELDS}
        self._docs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {f: [] for f in FIELDS}
        self._lengths: list[int] = []
        self._positions: list[int] = []
        self._removed: list[int] = []

    def add(self, tokens: list[str], position: int) -> None:
        exact = Counter(t for t in tokens if t)
        folded: Counter[str] = Counter()
        for term, n in zip(fold("\0".join(exact)).split("\0"), exact.values()):  # one fold call per document
            folded[term] += n
        for field, counts in (("exact", exact), ("folded", folded)):
            ids = self._ids[field]
            row = [ids.setdefault(term, len(ids)) for term in counts]  # a new term gets the next id
            self._docs[field].append((np.array(row, np.int32), np.fromiter(counts.values(), np.float32, len(counts))))
        self._lengths.append(exact.total())
        self._positions.append(position)

    def remove(self, positions: list[int]) -> None:
        self._removed += positions

    def apply(self) -> LexicalIndex:
        """The base index with the changes merged in (numpy work over the postings; nothing re-tokenised).
        It consumes the update: each field's pending documents are released once merged."""
        removed = np.asarray(self._removed, dtype=np.int64)
        added = np.asarray(self._positions, dtype=np.int64)
        fresh = ~np.isin(added, removed)  # added, then removed again before the commit
        keep = ~np.isin(self.base.positions, removed)
        lengths = [n for n, f in zip(self._lengths, fresh) if f]
        fields = {}
        for f in FIELDS:
            docs = [d for d, k in zip(self._docs.pop(f), fresh) if k]
            sizes = np.fromiter((len(d[0]) for d in docs), np.int64, len(docs))
            new_t = np.concatenate([np.zeros(0, np.int32)] + [d[0] for d in docs])
            new_tf = np.concatenate([np.zeros(0, np.float32)] + [d[1] for d in docs])
            del docs
            fields[f] = self.base._fields[f].merged(list(self._ids.pop(f)), new_t, new_tf, sizes, lengths, keep)
        return LexicalIndex(fields, np.concatenate([self.base.positions[keep], added[fresh]]))
