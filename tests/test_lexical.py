"""The lexical index against bm25s (the reference BM25) on real text, and incremental = full build."""

import json
from pathlib import Path

import bm25s
import numpy as np
import pytest

from qa.lexical import LexicalIndex, LexicalUpdate
from qa.text import fold, terms

XQUAD = Path(__file__).resolve().parents[1] / "eval" / "xquad_vi"


@pytest.fixture(scope="module")
def docs() -> list[list[str]]:
    rows = [json.loads(x) for x in (XQUAD / "passages.jsonl").read_text(encoding="utf-8").splitlines()]
    return [terms(r["text"]) for r in rows[:120]]


@pytest.fixture(scope="module")
def queries() -> list[list[str]]:
    rows = [json.loads(x) for x in (XQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    return [terms(r["question"]) for r in rows[:40]]


def _bm25s_scores(docs, query):
    model = bm25s.BM25(k1=1.2, b=0.75)
    model.index(docs, show_progress=False)
    out = np.zeros(len(docs), dtype=np.float32)
    for tok in query:
        if tok in model.vocab_dict:
            out += model.get_scores([tok])
    return out


def test_scores_equal_bm25s(docs, queries):
    lex = LexicalIndex.build(docs, np.arange(len(docs)))
    folded_docs = [[fold(t) for t in d] for d in docs]
    for q in queries[:15]:
        assert np.allclose(lex.scores("exact", q), _bm25s_scores(docs, q), rtol=1e-5, atol=1e-6)
        fq = [fold(t) for t in q]
        assert np.allclose(lex.scores("folded", fq), _bm25s_scores(folded_docs, fq), rtol=1e-5, atol=1e-6)


def test_incremental_updates_equal_a_full_build(docs, queries, tmp_path):
    positions = np.arange(len(docs)) * 3 + 7  # positions are ids, not row numbers
    lex = LexicalIndex.build(docs[:50], positions[:50])
    lex.save(tmp_path / "a")
    loaded = LexicalIndex.load(tmp_path / "a")  # memory-mapped; terms found by binary search on disk
    for q in queries:
        assert np.array_equal(loaded.scores("exact", q), lex.scores("exact", q))
    assert all(loaded.known("exact", t) for t in docs[0]) and not loaded.known("exact", "không_có_từ_này")
    lex = loaded
    removed = positions[[3, 10, 49, 60]]  # 60: added and removed before the commit
    update = LexicalUpdate(lex)
    for doc, pos in zip(docs[50:], positions[50:]):
        update.add(doc, int(pos))
    update.remove(removed.tolist())
    lex = update.apply()
    keep = ~np.isin(positions, removed)
    full = LexicalIndex.build([d for d, k in zip(docs, keep) if k], positions[keep])
    assert np.array_equal(lex.positions, full.positions)
    for q in queries:
        assert np.allclose(lex.scores("exact", q), full.scores("exact", q), rtol=1e-5, atol=1e-6)
        fq = [fold(t) for t in q]
        assert np.allclose(lex.scores("folded", fq), full.scores("folded", fq), rtol=1e-5, atol=1e-6)
    gone = set(docs[3]) - {t for d, k in zip(docs, keep) if k for t in d}
    assert gone and not any(lex.known("exact", t) for t in gone)
    assert all(lex.idf("exact", t) == full.idf("exact", t) for t in docs[0][:20])


def test_adds_without_removals_equal_a_full_build(docs, queries):
    positions = np.arange(len(docs))
    lex = LexicalIndex.build(docs[:30], positions[:30])
    for start, stop in ((30, 31), (31, 80), (80, len(docs))):  # one, many, the rest
        update = LexicalUpdate(lex)
        for doc, pos in zip(docs[start:stop], positions[start:stop]):
            update.add(doc, int(pos))
        lex = update.apply()
    full = LexicalIndex.build(docs, positions)
    for q in queries:
        assert np.allclose(lex.scores("exact", q), full.scores("exact", q), rtol=1e-5, atol=1e-6)
    for field in ("exact", "folded"):
        p = lex._fields[field]
        assert all(np.all(np.diff(p.rows[p.indptr[t]:p.indptr[t + 1]]) > 0) for t in range(len(p.indptr) - 1))


def test_empty_and_unknown():
    lex = LexicalIndex.build([], np.zeros(0, dtype=np.int64))
    assert len(lex) == 0 and lex.scores("exact", ["xin"]).shape == (0,)
    lex = LexicalIndex.build([["xin", "chào"], []], np.array([0, 1]))
    assert lex.known("exact", "xin") and not lex.known("exact", "tạm")
    assert lex.scores("exact", ["tạm"]).tolist() == [0.0, 0.0]
    assert lex.idf("exact", "tạm") > lex.idf("exact", "xin")


@pytest.mark.parametrize("long_postings", [2, 20])
def test_pruned_top_equals_scoring_every_document(docs, queries, monkeypatch, long_postings):
    """`top` skips the long postings where their bounds allow (MaxScore); here nearly every term is long,
    so the skipping and binary-search paths run, and the ranking must be the exhaustive one."""
    from qa import lexical

    monkeypatch.setattr(lexical, "LONG_POSTINGS", long_postings)
    monkeypatch.setattr(lexical, "CANDIDATES", 16)
    positions = np.arange(len(docs)) * 2 + 1
    lex = LexicalIndex.build(docs, positions)
    rng = np.random.default_rng(0)
    for i, q in enumerate(queries):
        weights = rng.choice([1.0, 0.5, 0.3], len(q))
        parts = [("exact", t, w) for t, w in zip(q, weights)] + [("folded", fold(t), 0.5 * w) for t, w in zip(q, weights)]
        allowed = rng.random(len(docs)) < 0.5 if i % 3 == 0 else None
        full = lex.scores("exact", q, list(weights)) + 0.5 * lex.scores("folded", [fold(t) for t in q], list(weights))
        if allowed is not None:
            full[~allowed] = 0
        for n in (3, 10):
            got = lex.top(parts, n, allowed)
            rows = np.flatnonzero(full > 0)
            want = sorted(((float(full[r]), int(positions[r])) for r in rows), key=lambda x: (-x[0], x[1]))[:n]
            assert len(got) == len(want)
            assert np.allclose([s for _, s in got], [s for s, _ in want], rtol=1e-5)
            tied = {round(s, 4) for s, _ in want if sum(abs(s - t) < 1e-4 for t, _ in want) > 1} | {round(want[-1][0], 4)}
            assert [p for p, s in got if round(s, 4) not in tied] == [p for s, p in want if round(s, 4) not in tied]


def _files(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("base_docs", [0, 40])
def test_runs_spilled_to_disk_merge_to_the_files_of_an_in_memory_merge(docs, queries, tmp_path, monkeypatch,
                                                                        base_docs):
    """A tiny spill threshold (dozens of sorted runs on disk) and small merge blocks (many blocks of the
    vocabulary and of the postings): `save` writes the bytes the in-memory merge writes, onto an empty
    base and onto one read from disk, with removals; `apply` after spilling gives the same index."""
    from qa import lexical

    monkeypatch.setattr(lexical, "SAMPLE", 64)
    monkeypatch.setattr(lexical, "BLOCK", 500)
    positions = np.arange(len(docs)) * 3 + 7
    LexicalIndex.build(docs[:base_docs], positions[:base_docs]).save(tmp_path / "base")
    removed = positions[[3, 60, 100]].tolist()  # 60, 100 (and 3 without a base): added, then removed

    def update(spill, runs):
        u = LexicalUpdate(LexicalIndex.load(tmp_path / "base"), spill=spill, spill_dir=runs)
        for doc, pos in zip(docs[base_docs:], positions[base_docs:]):
            u.add(doc, int(pos))
        u.remove(removed)
        return u

    update(10**9, tmp_path / "unused").apply().save(tmp_path / "memory")
    assert not (tmp_path / "unused").exists()
    spilled = update(300, tmp_path / "runs")
    assert len(list((tmp_path / "runs").iterdir())) >= 20
    assert spilled.save(tmp_path / "streamed") == len(docs) - 3
    assert not list((tmp_path / "runs").iterdir())  # the runs are deleted once merged
    assert _files(tmp_path / "streamed") == _files(tmp_path / "memory")

    keep = ~np.isin(positions, removed)
    full = LexicalIndex.build([d for d, k in zip(docs, keep) if k], positions[keep])
    for lex in (LexicalIndex.load(tmp_path / "streamed"), update(300, tmp_path / "runs-2").apply()):
        assert np.array_equal(lex.positions, full.positions)
        for q in queries:
            assert np.allclose(lex.scores("exact", q), full.scores("exact", q), rtol=1e-5, atol=1e-6)
            fq = [fold(t) for t in q]
            assert np.allclose(lex.scores("folded", fq), full.scores("folded", fq), rtol=1e-5, atol=1e-6)
        assert lex.known("exact", docs[50][0]) and not lex.known("exact", "không_có_từ_này")
