"""Crashes and concurrency: SIGKILL mid-ingest never leaves a mixed index; one writer at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import SEEDS

from qa.errors import IndexMissing
from qa.store import IndexReader


def _articles(folder, n, first=0):
    """n distinct articles made from the seeds (each seed with a numbered paragraph)."""
    folder.mkdir(parents=True, exist_ok=True)
    seeds = sorted(SEEDS.glob("*.txt"))
    for i in range(first, first + n):
        head, rest = seeds[i % len(seeds)].read_text(encoding="utf-8").split("\n\n", 1)
        note = f"Bản lưu trữ số {i} của bài viết được cập nhật ngày {1 + i % 28}/5/2021 tại kho dữ liệu."
        (folder / f"bai-{i:03d}.txt").write_text(f"{head}\n\n{note}\n\n{rest}", encoding="utf-8")
    return folder


def _ingest(paths, index, **kw):
    kw.setdefault("env", {**os.environ, "QA_INDEX_DIR": str(index)})
    return subprocess.Popen([sys.executable, "-m", "qa.cli", "ingest", "--quiet", *map(str, paths)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def _state(index):
    """(articles, chunks) of the index as a reader sees it, checking that its parts agree."""
    try:
        reader = IndexReader(index)
    except IndexMissing:
        return None
    counts = reader.manifest["counts"]
    rows = reader.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    arts = reader.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    assert rows == counts["chunks"] == reader.dense.ntotal == len(reader.lexical)
    assert arts == counts["articles"]
    reader.close()
    return counts["articles"], counts["chunks"]


def test_sigkill_at_any_point_leaves_the_old_or_the_new_index(tmp_path):
    base = _articles(tmp_path / "base", 3, first=100)
    more = _articles(tmp_path / "more", 12)
    index = tmp_path / "index"
    first = _ingest([base], index)
    assert first.wait(timeout=300) == 0, first.stderr.read()
    old = _state(index)
    assert old[0] == 3

    seen = set()
    for delay in (0.5, 2.0, 3.0, 4.0, 5.0, 6.5, 8.0):
        proc = _ingest([base, more], index, start_new_session=True)
        time.sleep(delay)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        state = _state(index)
        assert state is not None
        assert state[0] in (3, 15), f"mixed index after SIGKILL at {delay}s: {state}"
        seen.add(state[0])
        if state[0] == 15:
            break
    final = _ingest([base, more], index)
    assert final.wait(timeout=300) == 0, final.stderr.read()
    assert _state(index)[0] == 15
    leftovers = [p.name for p in index.iterdir() if p.name.startswith(".manifest")]
    assert not leftovers


def test_sigkill_during_the_commit_leaves_the_old_index(tmp_path):
    """Kill the writer at several moments after the new generation's files start being written (its
    lexical folder exists): every kill leaves the old index or the new one, whole, and at least one
    lands before the manifest switch (inside the commit)."""
    import json
    import shutil

    base = _articles(tmp_path / "base", 3, first=100)
    more = _articles(tmp_path / "more", 12)
    built = tmp_path / "built"
    assert _ingest([base], built).wait(timeout=300) == 0
    old_generation = json.loads((built / "manifest.json").read_text())["generation"]
    old_state = _state(built)
    landed = []
    for attempt, after in enumerate((0.0, 0.005, 0.02, 0.05, 0.1, 0.0, 0.0)):
        index = tmp_path / f"index-{attempt}"
        shutil.copytree(built, index)
        marker = index / f"lexical-{old_generation + 1}"  # made by commit(), before the manifest switch
        proc = _ingest([base, more], index, start_new_session=True)
        while proc.poll() is None and not marker.exists():
            time.sleep(0.001)
        time.sleep(after)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        generation = json.loads((index / "manifest.json").read_text())["generation"]
        state = _state(index)  # raises if the parts disagree
        if generation == old_generation:  # the kill landed inside the commit
            assert marker.exists() and state == old_state
            landed.append(after)
        else:
            assert state[0] == 15, (after, state)  # the commit had finished: the new index, whole
        if len(landed) >= 2 and attempt >= 4:
            break
    assert landed, "no SIGKILL landed during a commit"


def test_second_writer_waits_for_the_first(tmp_path):
    folder = _articles(tmp_path / "a", 30)  # enough work that the second process starts while the first writes
    index = tmp_path / "index"
    one = _ingest([folder], index)
    lock_held = index / "chunks-1.sqlite"  # made once the first writer holds the folder's lock
    while one.poll() is None and not lock_held.exists():
        time.sleep(0.01)
    assert one.poll() is None, "the first ingest finished before the second could start"
    two = _ingest([SEEDS / "000_88f03a1fd3c72d70.txt"], index)
    assert one.wait(timeout=300) == 0
    assert two.wait(timeout=300) == 0
    err = two.stderr.read()
    assert "Another process is writing" in err and "waiting" in err, err  # it found the lock held and waited
    assert _state(index)[0] == 31  # and then added its article to the first one's thirty


@pytest.mark.parametrize("damage", ["truncate-faiss", "bad-json", "missing-sqlite"])
def test_damaged_index_gives_a_clear_error_and_rebuild_repairs(tmp_path, damage):
    folder = _articles(tmp_path / "a", 1)
    index = tmp_path / "index"
    assert _ingest([folder], index).wait(timeout=300) == 0
    manifest = IndexReader(index).manifest
    if damage == "truncate-faiss":
        f = index / manifest["files"]["faiss"]
        f.write_bytes(f.read_bytes()[:64])
    elif damage == "bad-json":
        (index / "manifest.json").write_text("{ not json", encoding="utf-8")
    else:
        (index / manifest["files"]["sqlite"]).unlink()
    env = {**os.environ, "QA_INDEX_DIR": str(index)}
    ask = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "Lạng Sơn"], env=env, capture_output=True, text=True)
    assert ask.returncode != 0 and "--rebuild" in ask.stderr and "Traceback" not in ask.stderr
    repair = subprocess.run([sys.executable, "-m", "qa.cli", "ingest", "--quiet", "--rebuild", str(folder)], env=env,
                            capture_output=True, text=True)
    assert repair.returncode == 0, repair.stderr
    assert _state(index)[0] == 1


def test_killed_long_ingest_resumes_without_redoing_committed_articles(tmp_path):
    folder = _articles(tmp_path / "many", 12, first=200)
    index = tmp_path / "index"
    proc = _ingest([folder], index, start_new_session=True, env={**os.environ, "QA_INDEX_DIR": str(index),
                                                                  "QA_COMMIT_EVERY": "4"})
    deadline = time.time() + 240
    while time.time() < deadline and proc.poll() is None:
        if (index / "manifest.json").exists() and (_state(index) or (0,))[0] >= 4:
            break
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    done = _state(index)[0]
    assert done in (4, 8, 12)
    env = {**os.environ, "QA_INDEX_DIR": str(index)}
    rerun = subprocess.run([sys.executable, "-m", "qa.cli", "ingest", "--quiet", str(folder)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f"{12 - done} added" in rerun.stderr and f"{done} unchanged" in rerun.stderr
    assert _state(index)[0] == 12


def test_sigkill_during_the_merge_of_spilled_runs_leaves_the_old_index(tmp_path):
    """QA_LEXICAL_SPILL tiny, so the commit merges hundreds of sorted runs from disk: a SIGKILL while the
    merge writes the new lexical folder leaves the old index whole; the next ingest clears the runs
    and the half-written generation and gives the new index."""
    import json
    import shutil

    base = _articles(tmp_path / "base", 3, first=100)
    more = _articles(tmp_path / "more", 12)
    built = tmp_path / "built"
    env = {**os.environ, "QA_LEXICAL_SPILL": "100"}
    assert _ingest([base], built, env={**env, "QA_INDEX_DIR": str(built)}).wait(timeout=300) == 0
    generation = json.loads((built / "manifest.json").read_text())["generation"]
    old_state = _state(built)
    landed = 0
    for attempt, after in enumerate((0.0, 0.01, 0.05, 0.2)):
        index = tmp_path / f"index-{attempt}"
        shutil.copytree(built, index)
        marker = index / f"lexical-{generation + 1}"  # made by the merge, before the manifest switch
        runs = index / f".lexical-{generation + 1}.runs"  # the sorted runs, deleted once merged
        proc = _ingest([base, more], index, env={**env, "QA_INDEX_DIR": str(index)}, start_new_session=True)
        while proc.poll() is None and not marker.exists():
            time.sleep(0.001)
        time.sleep(after)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        if json.loads((index / "manifest.json").read_text())["generation"] != generation:
            assert _state(index)[0] == 15  # the commit had finished: the new index, whole
            continue
        assert _state(index) == old_state  # killed inside the commit: the old index
        landed += runs.exists()  # in the merge itself: its runs were still on disk
        again = _ingest([base, more], index, env={**env, "QA_INDEX_DIR": str(index)})
        assert again.wait(timeout=300) == 0, again.stderr.read()
        assert _state(index)[0] == 15 and not list(index.glob(".lexical-*"))
        if landed:
            break
    assert landed, "no SIGKILL landed during the merge"
