"""Ingest and search on a REAL two-node Ray cluster on this machine (`ray start --head` and a second
`ray start --address …`, one CPU each): Ray ingest == local ingest, 4 shards behind Ray Serve == one
index, a replica killed under load. Skipped when Ray (the `cluster` extra) is not installed."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import SEEDS, Server, xquad_questions
from test_shards import chunk_rows

pytest.importorskip("ray", reason="the cluster tests need the optional extra: bash scripts/setup.sh --cluster")
pytestmark = [pytest.mark.cluster, pytest.mark.slow]  # 3 min 20 s on 2 cores: over the 3 min of the default run

from qa import pipeline  # noqa: E402
from qa.cluster import ingest as cluster_ingest  # noqa: E402
from qa.cluster.local import LocalCluster  # noqa: E402
from qa.cluster.shards import shard_folders  # noqa: E402
from qa.store import IndexReader  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    c = LocalCluster(nodes=2, cpus=1)
    yield c
    c.stop()


def test_two_nodes(cluster):
    import ray

    from qa.cluster.serve import connect

    connect(cluster.address)
    assert len([n for n in ray.nodes() if n["Alive"]]) == 2


def test_ray_ingest_writes_the_chunks_of_the_local_ingest(cluster, seed_settings, tmp_path):
    """One embedder actor per node; the same chunks (ids, offsets, positions) and vectors at cosine ≥ 0.9999."""
    for shards, folder in ((0, tmp_path / "one"), (3, tmp_path / "three")):
        settings = replace(seed_settings, index_dir=str(folder))
        report = cluster_ingest.ingest([SEEDS], settings, address=cluster.address, shards=shards)
        assert len(report.added) == 5 and not report.refused
        local = chunk_rows([seed_settings.index_path])
        remote = chunk_rows([folder] if shards == 0 else shard_folders(folder))
        assert remote.keys() == local.keys()
        for pos, (row, vec) in local.items():
            assert remote[pos][0] == row
            other = remote[pos][1]
            assert float(vec @ other) / float(np.linalg.norm(vec) * np.linalg.norm(other)) >= 0.9999


def _load(assistant, questions: list[str], clients: int, seconds: float, during=None):
    """`clients` threads asking for `seconds`; `during` runs once a third of the way in. Errors and answers."""
    errors, answers, stop = [], [], time.monotonic() + seconds

    def client(i: int) -> None:
        n = i
        while time.monotonic() < stop:
            try:
                answers.append(assistant.ask(questions[n % len(questions)]))
            except Exception as exc:  # noqa: BLE001 - every failure counts
                errors.append(exc)
            n += clients

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    if during:
        time.sleep(seconds / 3)
        during()
    for t in threads:
        t.join()
    return errors, answers


def _kill_one_replica(shard: str) -> None:
    import ray

    names = [a for a in ray.util.list_named_actors(all_namespaces=True)
             if a["namespace"] == "serve" and f"#{shard}#" in a["name"]]
    assert names, "no replica of " + shard
    ray.kill(ray.get_actor(names[0]["name"], namespace="serve"), no_restart=True)


def _serve(cluster, settings, folder: Path, replicas: int, shard_timeout: float):
    from qa.cluster.client import RemoteAssistant
    from qa.cluster.serve import deploy

    settings = replace(settings, index_dir=str(folder), shard_timeout=shard_timeout)
    deploy(cluster.address, folder, settings, replicas=replicas)
    return RemoteAssistant(replace(settings, search=cluster.address))


def test_four_shards_on_ray_serve_answer_as_one_index(cluster, corpus, embedder):
    settings, tmp = corpus
    remote = _serve(cluster, settings, tmp / "four", replicas=2, shard_timeout=10)
    one = pipeline.Assistant(settings, embedder)
    for question in xquad_questions(10):
        hits1, hits4 = one.search(question, 10), remote.search(question, 10)
        assert [h.chunk.id for h in hits4] == [h.chunk.id for h in hits1]
        assert np.allclose([h.score for h in hits4], [h.score for h in hits1], rtol=0, atol=1e-6)
        assert remote.ask(question).to_json() == one.ask(question).to_json()
    assert remote.reader().manifest["counts"] == one.reader().manifest["counts"]
    some = hits1[0].chunk.article_id
    assert remote.article(some) == one.article(some)
    assert remote.catalogue() == one.catalogue()  # `qa list` with QA_SEARCH


def test_a_killed_replica_costs_nothing_with_two_and_gives_partial_answers_with_one(cluster, corpus):
    settings, tmp = corpus
    questions = xquad_questions(30)
    remote = _serve(cluster, settings, tmp / "four", replicas=2, shard_timeout=10)
    errors, answers = _load(remote, questions, clients=6, seconds=9, during=lambda: _kill_one_replica("shard-1"))
    assert not errors and len(answers) > 5
    assert not any(a.partial for a in answers)

    remote = _serve(cluster, settings, tmp / "four", replicas=1, shard_timeout=2)
    assert not remote.ask(questions[0]).partial
    errors, answers = _load(remote, questions, clients=6, seconds=9, during=lambda: _kill_one_replica("shard-2"))
    assert not errors
    assert any(a.partial for a in answers) and not all(a.partial for a in answers)


def test_twenty_clients_for_thirty_seconds_lose_no_question_to_a_killed_replica(cluster, corpus):
    settings, tmp = corpus
    remote = _serve(cluster, settings, tmp / "four", replicas=2, shard_timeout=10)
    errors, answers = _load(remote, xquad_questions(60), clients=20, seconds=30,
                            during=lambda: _kill_one_replica("shard-0"))
    assert not errors and not any(a.partial for a in answers)


def test_the_page_and_api_answer_through_the_cluster(cluster, corpus, embedder, tmp_path):
    """`python app.py` with QA_SEARCH=ray://… (and no index of its own): the API's answers and health come
    from the Serve application the tests above deployed (its killed replica restarted by Serve)."""
    import httpx

    settings, tmp = corpus
    question = xquad_questions(1)[0]
    local = pipeline.Assistant(settings, embedder).ask(question, 5).to_json()
    from qa.cluster.client import RemoteAssistant

    remote, deadline = RemoteAssistant(replace(settings, search=cluster.address)), time.monotonic() + 90
    while remote.ask(question).partial and time.monotonic() < deadline:  # Serve restarts the killed replica
        time.sleep(1)
    srv = Server(str(tmp_path / "nowhere"), tmp_path, QA_SEARCH=cluster.address, QA_SHARD_TIMEOUT="30")
    try:
        r = httpx.post(srv.url + "/api/ask", json={"question": question}, timeout=120)
        assert r.status_code == 200 and r.json() == local and r.json()["partial"] is False
        health = httpx.get(srv.url + "/api/health", timeout=60).json()
        assert health["status"] == "ok" and health["chunks"] == IndexReader(tmp / "one").manifest["counts"]["chunks"]
    finally:
        srv.stop()
