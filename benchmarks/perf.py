"""Ingest time, query latency (p50/p95 per stage) and cold start on the seed articles.

    python benchmarks/perf.py [--queries 50]

Everything runs in this process on a temporary index, except the cold start, which times a fresh
`qa ask` process from start to printed answer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings, pin_threads  # noqa: E402

pin_threads(2)

from benchmarks.retrieval import machine  # noqa: E402
from qa import pipeline  # noqa: E402
from qa.embed import load_embedder  # noqa: E402
from qa.retrieve import Query  # noqa: E402

QUESTIONS = ROOT.parent / "shared" / "eval" / "seed_questions.jsonl"


def percentiles(ms: list[float]) -> tuple[float, float]:
    ms = sorted(ms)
    return statistics.median(ms), ms[min(len(ms) - 1, int(0.95 * len(ms)))]


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--queries", type=int, default=50)
    args = ap.parse_args()
    base = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    questions = [base[i % len(base)] for i in range(args.queries)]
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(Settings.from_env(), index_dir=f"{tmp}/index")
        t0 = time.perf_counter()
        embedder = load_embedder(settings)
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = pipeline.ingest([ROOT / "seeds"], settings, embedder=embedder)
        ingest_s = time.perf_counter() - t0
        assistant = pipeline.Assistant(settings, embedder)
        retriever = assistant.retriever()
        assistant.ask(questions[0])  # warm
        rows = {
            "embed query": timed(embedder.embed_query, questions),
            "lexical search": timed(lambda q: retriever.lexical(Query.parse(q), settings.candidates), questions),
            "dense search (embed + FAISS)": timed(lambda q: retriever.dense(Query.parse(q), settings.candidates),
                                                  questions),
            "hybrid search (both + fusion)": timed(lambda q: retriever.search(Query.parse(q)), questions),
            "full answer (ask)": timed(assistant.ask, questions),
        }
        env = {**os.environ, "QA_INDEX_DIR": settings.index_dir}
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "qa.cli", "ask", base[0]], env=env, capture_output=True, check=True)
        cold_s = time.perf_counter() - t0

    print(f"Machine: {machine()}; embedder {embedder.backend}, {settings.threads} threads\n")
    print(f"- model load: {load_s:.2f} s; ingest of seeds/: {ingest_s:.2f} s for {len(report.added)} articles, "
          f"{report.chunks_added} chunks ({report.chunks_added / ingest_s:.1f} chunks/s)")
    print(f"- cold start (`qa ask` process, start to answer): {cold_s:.2f} s\n")
    print(f"| stage ({len(questions)} questions) | p50 ms | p95 ms |\n|---|---:|---:|")
    for name, ms in rows.items():
        p50, p95 = percentiles(ms)
        print(f"| {name} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
