"""A sharded index (qa/cluster/): split, searched with global BM25 statistics, written by the sharded
ingest; on this machine, without Ray (tests/test_cluster.py runs the same on a real Ray cluster)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, SEEDS, xquad_questions

from qa import pipeline
from qa.cluster import ingest as sharded_ingest
from qa.cluster.search import LocalFanout, ShardedAssistant
from qa.cluster.shards import reshard, shard_folders, shard_of
from qa.config import ConfigError, Settings
from qa.records import Answer
from qa.retrieve import Filters, Query
from qa.store import IndexReader


def chunk_rows(folders: list[Path]) -> dict[int, tuple]:
    """pos → (article id, ordinal, start, end, text, terms) and the stored vector, over the folders."""
    out = {}
    for f in folders:
        r = IndexReader(f)
        for row in r.db.execute('SELECT pos, article_id, ordinal, start, "end", text, tokens FROM chunks'):
            out[row[0]] = (tuple(row[1:]), r.dense.reconstruct(row[0]))
        r.close()
    return out


def test_split_keeps_every_chunk_in_the_shard_of_its_article(corpus):
    settings, tmp = corpus
    folders = shard_folders(tmp / "four")
    assert [f.name for f in folders] == ["shard-0", "shard-1", "shard-2", "shard-3"]
    one, parts = chunk_rows([tmp / "one"]), [chunk_rows([f]) for f in folders]
    assert sum(len(p) for p in parts) == len(one)
    for i, part in enumerate(parts):
        assert 0.1 < len(part) / len(one) < 0.4  # the ids spread the articles
        for pos, (row, vec) in part.items():
            assert shard_of(row[0], 4) == i
            assert row == one[pos][0] and np.array_equal(vec, one[pos][1])


def test_four_shards_search_and_answer_as_one_index(corpus, embedder):
    """Global BM25 statistics: the same candidates, scores and answers as one index over the same chunks."""
    settings, tmp = corpus
    one = pipeline.Assistant(settings, embedder)
    four = ShardedAssistant(settings, LocalFanout.open(tmp / "four", settings), embedder)
    compared = 0
    for question in xquad_questions(40):
        q = Query.parse(question)
        lex1 = one.retriever().lexical(q, 50)
        lex4, dense4, _ = four.retriever().rankings(q, 50, Filters())
        assert [p for p, _ in lex4] == [p for p, _ in lex1]
        assert np.allclose([s for _, s in lex4], [s for _, s in lex1], rtol=0, atol=1e-6)
        assert [p for p, _ in dense4] == [p for p, _ in one.retriever().dense(q, 50)]
        hits1, hits4 = one.search(question, 10), four.search(question, 10)
        assert [h.chunk.id for h in hits4] == [h.chunk.id for h in hits1]
        assert np.allclose([h.score for h in hits4], [h.score for h in hits1], rtol=0, atol=1e-6)
        a1, a4 = one.ask(question).to_json(), four.ask(question).to_json()
        assert a4 == a1 and a4["partial"] is False
        compared += bool(lex1)
    assert compared >= 35


def test_filters_and_articles_through_the_shards(corpus, embedder):
    settings, tmp = corpus
    one = pipeline.Assistant(settings, embedder)
    four = ShardedAssistant(settings, LocalFanout.open(tmp / "four", settings), embedder)
    question = xquad_questions(1)[0]
    some = one.search(question, 5)[0].chunk.article_id
    assert four.article(some) == one.article(some)
    assert four.catalogue() == one.catalogue()
    assert four.reader().manifest["counts"] == one.reader().manifest["counts"]
    late = Filters(date_from="2100-01-01")  # no article has such a date: nothing is allowed anywhere
    assert four.search(question, 5, late) == one.search(question, 5, late) == []


def test_shards_answer_as_one_index_with_the_real_model(seed_settings, embedder, tmp_path):
    """The five seed articles in 4 shards (one may be empty) with the real model: the same answers."""
    reshard([seed_settings.index_path], tmp_path / "four", 4)
    one = pipeline.Assistant(seed_settings, embedder)
    four = ShardedAssistant(seed_settings, LocalFanout.open(tmp_path / "four", seed_settings), embedder)
    for line in (ROOT / "eval" / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines()[:12]:
        question = json.loads(line)["question"]
        assert four.ask(question).to_json() == one.ask(question).to_json()


def test_merging_the_shards_gives_back_the_index(corpus, embedder):
    settings, tmp = corpus
    reshard(shard_folders(tmp / "four"), tmp / "merged", 1)
    one, merged = chunk_rows([tmp / "one"]), chunk_rows([tmp / "merged"])
    assert merged.keys() == one.keys()
    assert all(merged[p][0] == one[p][0] and np.array_equal(merged[p][1], one[p][1]) for p in one)
    question = xquad_questions(1)[0]
    a = pipeline.Assistant(settings, embedder).ask(question).to_json()
    assert pipeline.Assistant(replace(settings, index_dir=str(tmp / "merged")), embedder).ask(question).to_json() == a


def test_sharded_ingest_writes_the_chunks_of_the_local_ingest(seed_settings, tmp_path):
    """`qa ingest --shards 4` (the stages in this process, the real model): the chunks, positions and
    vectors `qa ingest` wrote; a second run finds every file unchanged."""
    settings = replace(seed_settings, index_dir=str(tmp_path / "sharded"))
    report = sharded_ingest.ingest([SEEDS], settings, shards=4)
    assert len(report.added) == 5 and report.manifest["counts"] == IndexReader(seed_settings.index_path).manifest["counts"]
    one, four = chunk_rows([seed_settings.index_path]), chunk_rows(shard_folders(tmp_path / "sharded"))
    assert four.keys() == one.keys()
    for pos, (row, vec) in one.items():
        assert four[pos][0] == row
        assert float(vec @ four[pos][1]) / float(np.linalg.norm(vec) * np.linalg.norm(four[pos][1])) >= 0.9999
    again = sharded_ingest.ingest([SEEDS], settings)
    assert len(again.unchanged) == 5 and not again.added


def test_partial_answers_carry_the_flag_and_the_page_says_so():
    from qa.ui import PARTIAL_NOTICE, render_answer

    answer = Answer("q", "Không tìm thấy.", (), found=False)
    assert answer.to_json()["partial"] is False
    assert PARTIAL_NOTICE not in render_answer(answer)
    partial = replace(answer, partial=True)
    assert partial.to_json()["partial"] is True
    assert render_answer(partial).startswith(PARTIAL_NOTICE)


def test_cluster_settings_are_checked():
    assert Settings(search="ray://head-node:10001").search == "ray://head-node:10001"
    for bad in ("http://head:8000", "ray://", "head:10001"):
        with pytest.raises(ConfigError, match="QA_SEARCH"):
            Settings(search=bad)
    with pytest.raises(ConfigError, match="QA_RAY_ADDRESS"):
        Settings(ray_address="ray:/x:1")


def test_without_qa_search_ray_is_never_imported(seed_settings):
    code = ("import sys; from qa import api, cli, pipeline, server, ui; from qa.config import Settings; "
            f"a = pipeline.assistant(Settings(index_dir={str(seed_settings.index_dir)!r})); "
            "assert type(a) is pipeline.Assistant; a.ask('Hà Nội'); "
            "assert not [m for m in sys.modules if m == 'ray' or m.startswith('ray.')], 'ray imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_qa_shard_splits_and_merges_from_the_command_line(seed_settings, tmp_path):
    env = {**os.environ, "QA_INDEX_DIR": str(seed_settings.index_dir)}
    qa = [sys.executable, "-m", "qa.cli"]
    split = subprocess.run(qa + ["shard", str(seed_settings.index_dir), "--into", str(tmp_path / "two"), "--shards",
                                 "2"], capture_output=True, text=True, env=env, timeout=300)
    assert split.returncode == 0, split.stderr
    assert "2 shard(s)" in split.stderr and "5 articles" in split.stderr
    merged = subprocess.run(qa + ["shard", str(tmp_path / "two"), "--into", str(tmp_path / "one"), "--shards", "1"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert merged.returncode == 0, merged.stderr
    assert chunk_rows([tmp_path / "one"]).keys() == chunk_rows([seed_settings.index_path]).keys()
    again = subprocess.run(qa + ["shard", str(tmp_path / "two"), "--into", str(tmp_path / "one"), "--shards", "3"],
                           capture_output=True, text=True, env=env, timeout=300)
    assert again.returncode != 0 and "is not empty" in again.stderr and "Traceback" not in again.stderr


def test_every_command_reads_and_writes_a_sharded_folder(seed_settings, tmp_path):
    """Without QA_SEARCH, a sharded index folder is searched, listed, shown, updated and pruned in
    place: the same output as one index, and a later ingest or removal goes to the articles' shards
    (no one-index files appear beside them)."""
    qa = [sys.executable, "-m", "qa.cli"]

    def run(folder: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(qa + list(args), capture_output=True, text=True, timeout=300, input=stdin,
                              env={**os.environ, "QA_INDEX_DIR": str(folder)})

    one, three = seed_settings.index_path, tmp_path / "three"
    assert run(one, "shard", str(one), "--into", str(three), "--shards", "3").returncode == 0
    listed = run(three, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout == run(one, "list", "--json").stdout and len(listed.stdout.splitlines()) == 5
    some = json.loads(listed.stdout.splitlines()[0])["id"]
    for args in (["show", some, "--json"], ["docs", "--json"], ["docs", "57-NQ/TU", "--json"]):
        done = run(three, *args)
        assert done.returncode == 0 and done.stdout == run(one, *args).stdout, (args, done.stderr)
    questions = "Ai là Bí thư Tỉnh ủy Lạng Sơn?\nTỉnh nào tụt 17 bậc chỉ số PAR Index?\n"
    assert run(three, "ask", "--json", stdin=questions).stdout == run(one, "ask", "--json", stdin=questions).stdout
    unknown = run(three, "show", "0123456789abcdef")
    assert unknown.returncode != 0 and "No article" in unknown.stderr and "Traceback" not in unknown.stderr

    new = tmp_path / "moi.txt"
    new.write_text("Hội nghị tổng kết công tác chuyển đổi số tỉnh Điện Biên năm 2021\n\nNgày 10/12/2021, "
                   "UBND tỉnh Điện Biên tổ chức hội nghị tổng kết công tác chuyển đổi số. Năm 2021, tỉnh đã "
                   "đưa 1.250 dịch vụ công trực tuyến mức độ 4 vào sử dụng, tăng 320 dịch vụ so với năm 2020.\n",
                   encoding="utf-8")
    added = run(three, "ingest", "-q", str(new))
    assert added.returncode == 0 and "1 added" in added.stderr, added.stderr
    assert not (three / "manifest.json").exists() and len(shard_folders(three)) == 3
    rows = [json.loads(r) for r in run(three, "list", "--json").stdout.splitlines()]
    fresh = next(r["id"] for r in rows if r["file"] == "moi.txt")
    assert len(rows) == 6 and (three / f"shard-{shard_of(fresh, 3)}" / "manifest.json").exists()
    assert fresh in {a.id for a in IndexReader(three / f"shard-{shard_of(fresh, 3)}").catalogue()}
    answer = json.loads(run(three, "ask", "--json", "Điện Biên đưa bao nhiêu dịch vụ công trực tuyến mức độ 4 vào "
                                                   "sử dụng năm 2021?").stdout)
    assert answer["found"] and answer["citations"][0]["article_id"] == fresh
    removed = run(three, "remove", fresh, "nothere")
    assert removed.returncode == 1 and "1 removed" in removed.stderr and "not in the index: nothere" in removed.stderr
    assert run(three, "list", "--json").stdout == run(one, "list", "--json").stdout
