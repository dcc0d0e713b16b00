"""The cluster path against the local path on this machine: ingest throughput and question latency.

    PYTHONPATH=.:.deps python benchmarks/cluster.py [--questions 40] [--shards 4]

Needs the `cluster` extra (Ray). Real text (the five seeds and xquad_vi's 240 passages as files), the
real model. Starts a throwaway Ray cluster here (qa/cluster/local.py, one CPU per node) and stops it.

- ingest: `qa ingest` in this process (2 threads, the baseline), then `qa ingest --cluster` with one
  worker node and with two (one embedder actor per node, 1 thread each), written as one index;
- questions: one at a time through `Assistant` on one index (the baseline), through the router of the
  Serve application over `--shards` shards (RemoteAssistant, as `QA_SEARCH=ray://…` does), and through
  the same shards searched in this process (ShardedAssistant over LocalFanout: the cost of fanning out
  without Ray).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import machine  # noqa: E402
from qa import pipeline  # noqa: E402
from qa.cluster import ingest as cluster_ingest  # noqa: E402
from qa.cluster.client import RemoteAssistant  # noqa: E402
from qa.cluster.local import LocalCluster  # noqa: E402
from qa.cluster.search import LocalFanout, ShardedAssistant  # noqa: E402
from qa.cluster.serve import deploy  # noqa: E402
from qa.cluster.shards import reshard  # noqa: E402
from qa.config import Settings, pin_threads  # noqa: E402
from qa.embed import load_embedder  # noqa: E402

XQUAD = ROOT / "eval" / "xquad_vi"


def articles(folder: Path) -> Path:
    folder.mkdir()
    for p in (ROOT / "seeds").glob("*.txt"):
        (folder / p.name).write_bytes(p.read_bytes())
    for line in (XQUAD / "passages.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        (folder / f"xquad-{row['id']}.txt").write_text(f"{row.get('title', '')}\n\n{row['text']}", encoding="utf-8")
    return folder


WRITES: dict[int, float] = {}  # seconds the writing process spent storing and committing, per Ray run


def timed_ingest(fn, *args, **kwargs) -> tuple[float, int]:
    t = time.perf_counter()
    report = fn(*args, **kwargs)
    WRITES[len(WRITES)] = report.seconds.get("store", 0.0) + report.seconds.get("commit", 0.0)
    return time.perf_counter() - t, report.chunks_added


def latencies(ask, questions: list[str]) -> tuple[float, float]:
    ask(questions[0])  # warm
    ms = []
    for q in questions:
        t = time.perf_counter()
        ask(q)
        ms.append((time.perf_counter() - t) * 1000)
    ms.sort()
    return statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--shards", type=int, default=4)
    args = ap.parse_args()
    pin_threads(2)
    lines = (XQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines[: 7 * args.questions : 7]]
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        files = articles(tmp / "articles")
        base = Settings.from_env(index_dir=str(tmp / "local"))
        embedder = load_embedder(base)
        local_s, chunks = timed_ingest(pipeline.ingest, [files], base, embedder=embedder)
        ingest = {"local (this process, 2 threads)": local_s}
        with LocalCluster(nodes=1, cpus=1) as cluster:
            one_thread = replace(base, threads=1)
            for nodes in (1, 2):
                if nodes == 2:
                    cluster.add_node()
                s, n = timed_ingest(cluster_ingest.ingest, [files], replace(one_thread, index_dir=str(tmp / f"ray{nodes}")),
                                    address=cluster.address)
                assert n == chunks, (n, chunks)
                ingest[f"Ray, {nodes} worker node(s), 1 thread each"] = s
            reshard([tmp / "local"], tmp / "shards", args.shards)
            deploy(cluster.address, tmp / "shards", replace(base, index_dir=str(tmp / "shards")), replicas=1)
            remote = RemoteAssistant(replace(base, search=cluster.address, index_dir=str(tmp / "shards")))
            local = pipeline.Assistant(base, embedder)
            fanned = ShardedAssistant(base, LocalFanout.open(tmp / "shards", base), embedder)
            asks = {"one index, this process": latencies(local.ask, questions),
                    f"{args.shards} shards, this process (LocalFanout)": latencies(fanned.ask, questions),
                    f"{args.shards} shards, Ray Serve router (QA_SEARCH)": latencies(remote.ask, questions)}
            searches = {"one index, this process": latencies(local.search, questions),
                        f"{args.shards} shards, Ray Serve router (QA_SEARCH)": latencies(remote.search, questions),
                        "router round trip alone (client → router → client)":
                            latencies(lambda q: remote._call("model"), questions)}

    print(f"Machine: {machine(('ray', 'onnxruntime', 'faiss-cpu'))}")
    print(f"Corpus: seeds + xquad_vi passages, {chunks} chunks; {len(questions)} xquad_vi questions, one at a time\n")
    print("| ingest | wall s | chunks/s | vs local |\n|---|---:|---:|---:|")
    for name, s in ingest.items():
        print(f"| {name} | {s:.1f} | {chunks / s:.1f} | {local_s / s:.2f}× |")
    one = ingest["Ray, 1 worker node(s), 1 thread each"]
    two = ingest["Ray, 2 worker node(s), 1 thread each"]
    print(f"\nRay ingest, two worker nodes against one: {one / two:.2f}× the throughput; the writing process "
          f"stored and committed for {WRITES[1]:.2f} s / {WRITES[2]:.2f} s of it\n")
    for title, table in (("ask (answer composed)", asks), ("search (hits only)", searches)):
        first = next(iter(table.values()))
        print(f"| {title} | p50 ms | p95 ms | p50 vs one index |\n|---|---:|---:|---:|")
        for name, (p50, p95) in table.items():
            print(f"| {name} | {p50:.1f} | {p95:.1f} | {p50 / first[0]:.2f}× |")
        print()


if __name__ == "__main__":
    main()
