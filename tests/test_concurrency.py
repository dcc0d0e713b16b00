"""Issue 16, the review's concurrency items, each reproduced in the library and checked fixed; and a
lost manifest, which must not make `qa ingest` start a new index over the existing articles."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from conftest import SEEDS

from qa import pipeline
from qa.pipeline import Assistant
from qa.store import IndexReader


def _seed_index(settings, tmp_path, n=5):
    folder = tmp_path / "docs"
    folder.mkdir(exist_ok=True)
    for p in sorted(SEEDS.glob("*.txt"))[:n]:
        (folder / p.name).write_bytes(p.read_bytes())
    pipeline.ingest([folder], settings)
    return folder


def test_each_request_thread_has_its_own_sqlite_connection(hash_settings, tmp_path):
    _seed_index(hash_settings, tmp_path)
    reader = IndexReader(hash_settings.index_path)
    barrier = threading.Barrier(8)

    def work(_):
        barrier.wait()
        conn = reader.db
        rows = [len(reader.articles()) for _ in range(20)]
        return id(conn), set(rows)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(8)))
    assert len({c for c, _ in results}) == 8  # one connection per thread, none shared
    assert all(rows == {5} for _, rows in results)
    reader.close()


def test_the_embedder_is_loaded_once_when_first_questions_arrive_together(base_settings):
    assistant = Assistant(base_settings)  # the real model: loading takes long enough to race
    barrier = threading.Barrier(4)

    def first_question(_):
        barrier.wait()
        return assistant.embedder

    with ThreadPoolExecutor(4) as pool:
        loaded = list(pool.map(first_question, range(4)))
    assert len({id(e) for e in loaded}) == 1


class _ClearedBetweenCheckAndRead(dict):
    """A term cache that another thread empties right after `term in cache` said yes: the
    interleaving the review flagged, made certain instead of waited for."""

    def __contains__(self, key):
        found = super().__contains__(key)
        self.clear()
        return found

    def get(self, key, default=None):
        value = super().get(key, default)
        self.clear()
        return value


def test_term_lookup_survives_the_cache_being_cleared_by_another_thread(hash_settings, tmp_path):
    _seed_index(hash_settings, tmp_path)
    reader = IndexReader(hash_settings.index_path)
    postings = reader.lexical._fields["exact"]
    term = postings.terms[3]
    expected = postings.tid(term)
    cache = _ClearedBetweenCheckAndRead()
    cache[term] = expected
    postings._seen = cache
    assert postings.tid(term) == expected


def test_term_lookups_from_many_threads_agree(hash_settings, tmp_path):
    _seed_index(hash_settings, tmp_path)
    reader = IndexReader(hash_settings.index_path)
    postings = reader.lexical._fields["folded"]
    terms = postings.terms[:200]
    want = {t: postings._search(t) for t in terms}
    sys.setswitchinterval(1e-6)
    try:
        def work(i):
            out = []
            for j in range(3000):
                t = terms[(i * 7 + j) % len(terms)]
                if j % 50 == 0:
                    postings._seen.clear()
                out.append(postings.tid(t) == want[t])
            return all(out)

        with ThreadPoolExecutor(6) as pool:
            assert all(pool.map(work, range(6)))
    finally:
        sys.setswitchinterval(0.005)


def test_a_replaced_snapshot_is_closed_when_its_last_question_ends(hash_settings, tmp_path):
    folder = _seed_index(hash_settings, tmp_path, n=3)
    assistant = Assistant(hash_settings)
    first = assistant.reader()
    first_db = first.db
    old = weakref.ref(first)
    old_file = first.folder / first.manifest["files"]["sqlite"]
    del first
    (folder / "them.txt").write_bytes(sorted(SEEDS.glob("*.txt"))[3].read_bytes())
    pipeline.ingest([folder], hash_settings)
    assert assistant.ask("Hà Nam xếp thứ mấy về PAR Index?").citations  # switches to the new generation
    gc.collect()
    assert old() is None
    held = {os.path.realpath(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
            if os.path.exists(f"/proc/self/fd/{fd}")}
    assert str(old_file.resolve()) not in held
    try:
        first_db.execute("SELECT 1")
        closed = False
    except Exception:  # sqlite3.ProgrammingError: the connection was closed with its snapshot
        closed = True
    assert closed


def _cli(args, index, **env):
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "QA_INDEX_DIR": str(index), "QA_EMBEDDER": "hash", **env})


def test_lost_manifest_is_not_silently_replaced_by_a_new_index(hash_settings, tmp_path):
    folder = _seed_index(hash_settings, tmp_path, n=4)
    index = hash_settings.index_path
    (index / "manifest.json").unlink()
    new = tmp_path / "new"
    new.mkdir()
    (new / "moi.txt").write_bytes(sorted(SEEDS.glob("*.txt"))[4].read_bytes())
    before = sorted(p.name for p in index.iterdir())
    r = _cli(["ingest", "--quiet", str(new)], index)
    assert r.returncode != 0
    assert "manifest.json is missing" in r.stderr and "qa ingest --rebuild" in r.stderr and "Traceback" not in r.stderr
    assert sorted(p.name for p in index.iterdir()) == before  # nothing written, nothing dropped
    r = _cli(["ask", "--json", "Hà Nam xếp thứ mấy?"], index)
    assert r.returncode != 0 and "manifest.json is missing" in r.stderr
    r = _cli(["ingest", "--quiet", "--rebuild", str(folder), str(new)], index)
    assert r.returncode == 0, r.stderr
    assert IndexReader(index).manifest["counts"]["articles"] == 5


def test_a_first_ingest_killed_before_its_commit_does_not_count_as_a_lost_manifest(hash_settings, tmp_path):
    index = hash_settings.index_path
    index.mkdir(parents=True)
    (index / "chunks-1.sqlite").write_bytes(b"")  # what a SIGKILL in the first ingest can leave
    r = _cli(["ingest", "--quiet", str(SEEDS)], replace(hash_settings).index_path)
    assert r.returncode == 0, r.stderr
