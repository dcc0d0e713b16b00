"""Ingest throughput per stage, query latency, cold start, peak RSS and index size, 1k → 1M chunks.

    python benchmarks/perf.py [--sizes 1000,10000,100000,1000000] [--queries 50]

Two parts, one table each:

1. Real text: `seeds/` plus xquad_vi's 240 passages, written as files and ingested by the product's
   own `pipeline.ingest` (clean → chunk → terms → embed → store, FAISS, lexical), seconds per stage.
2. Scale: an index of N chunks built through the product's `IndexWriter` (SQLite store, FAISS,
   lexical postings), then queried by the product's `Assistant` with the real embedder and the seed questions.
   The N chunks are synthetic (said in the table): text made of spans of real Vietnamese passages
   with random syllables mixed in (so the vocabulary and the bigrams grow with N, as in a real
   archive), and vectors shaped like real e5 embeddings (benchmarks/scale.py) instead of embedding
   N chunks on 2 cores (about 12 h per million). The five seed articles are ingested for real on
   top, so the questions have their true answers somewhere in the haystack. Cold start and peak
   RSS are those of a fresh `qa ask` process on that index (start to printed answer).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings, pin_threads  # noqa: E402

pin_threads(2)

from benchmarks.machine import machine  # noqa: E402
from benchmarks.scale import like_real  # noqa: E402
from qa import pipeline  # noqa: E402
from qa.embed import load_embedder  # noqa: E402
from qa.ingest import article_id  # noqa: E402
from qa.lexical import FIELDS  # noqa: E402
from qa.records import Article, Chunk, Metadata  # noqa: E402
from qa.retrieve import Query  # noqa: E402
from qa.text import normalize  # noqa: E402

QUESTIONS = ROOT / "eval" / "seed_questions.jsonl"
XQUAD = ROOT / "eval" / "xquad_vi" / "passages.jsonl"
CHUNKS_PER_ARTICLE = 8
STAGES = ("clean", "chunk", "terms", "embed", "store", "faiss", "lexical")


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


def folder_mb(folder: Path, manifest: dict) -> float:
    """Size on disk of the current generation's files."""
    paths = [folder / f for f in manifest["files"].values()]
    return sum(f.stat().st_size for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()) / 2**20


_ASK_THEN_PEAK = """
import runpy, sys
sys.argv = ["qa", "ask", sys.argv[1]]
try:
    runpy.run_module("qa.cli", run_name="__main__")
finally:  # VmHWM: this process's own peak (ru_maxrss of a child also counts the parent it was forked from)
    peak = next(line for line in open("/proc/self/status") if line.startswith("VmHWM"))
    print(int(peak.split()[1]) / 1024, file=sys.stderr)
"""


def cold_start(index_dir: Path, question: str) -> tuple[float, float]:
    """(seconds, peak RSS MB) of a fresh `qa ask` process on the index, from start to printed answer."""
    env = {**os.environ, "QA_INDEX_DIR": str(index_dir)}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _ASK_THEN_PEAK, question], env=env, cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"qa ask failed on {index_dir}: {proc.stderr[-500:]}")
    return seconds, float(proc.stderr.split()[-1])


# ----------------------------------------------------------------------------- part 1: real text

def real_ingest(settings: Settings, embedder, tmp: Path, name: str) -> tuple[pipeline.IngestReport, float, int]:
    files = tmp / "real"
    if not files.exists():
        files.mkdir()
        for p in (ROOT / "seeds").glob("*.txt"):
            (files / p.name).write_bytes(p.read_bytes())
        for line in XQUAD.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            (files / f"xquad-{row['id']}.txt").write_text(f"{row.get('title', '')}\n\n{row['text']}", encoding="utf-8")
    chars = sum(len(p.read_text(encoding="utf-8")) for p in files.iterdir())
    index = tmp / f"real-index-{name}"
    shutil.rmtree(index, ignore_errors=True)
    t0 = time.perf_counter()
    report = pipeline.ingest([files], replace(settings, index_dir=str(index)), embedder=embedder)
    return report, time.perf_counter() - t0, chars


def one_at_a_time(settings: Settings):
    """The 0.2 ingest, as a baseline in the same run: each article embedded alone, one ONNX run at a
    time on two threads (the parallel single-threaded runs never start)."""
    embedder = load_embedder(settings)
    embedder.BULK_MIN = 1 << 30
    return replace(settings, embed_group=1), embedder


# ----------------------------------------------------------------------------- part 2: scale

class Haystack:
    """Synthetic Vietnamese chunks: real spans with random syllables mixed in, ~chunk_size chars."""

    def __init__(self, seed: int = 0):
        texts = [json.loads(x)["text"] for x in XQUAD.read_text(encoding="utf-8").splitlines()]
        texts += [p.read_text(encoding="utf-8") for p in (ROOT / "seeds").glob("*.txt")]
        self.words = normalize(" ".join(texts)).split()
        self.syllables = sorted({w.lower() for w in self.words if w.isalpha()})
        self.rng = random.Random(seed)

    def chunk_text(self, n_words: int = 110) -> str:
        start = self.rng.randrange(len(self.words) - n_words)
        words = self.words[start:start + n_words]
        for i in self.rng.sample(range(n_words), n_words // 5):  # 20 % random syllables: new words and bigrams
            words[i] = self.rng.choice(self.syllables)
        return " ".join(words)


def build_synthetic(settings: Settings, embedder, n: int, centres: np.ndarray) -> tuple[dict, dict, float]:
    """An index of about n synthetic chunks plus the real seeds; (manifest, seconds per stage, wall s)."""
    hay = Haystack()
    rng = np.random.default_rng(n)
    t0 = time.perf_counter()
    with pipeline.open_writer(settings, embedder, rebuild=True) as writer:
        watch = writer.watch  # the writer times store, FAISS and lexical (adds and commit); we add chunk, terms
        for first in range(0, n, CHUNKS_PER_ARTICLE):
            count = min(CHUNKS_PER_ARTICLE, n - first)
            with watch.lap("chunk"):
                parts = [hay.chunk_text() for _ in range(count)]
                text = "\n\n".join(parts)
                aid = article_id(f"{first}:{text}")
                art = Article(aid, f"synthetic-{first // CHUNKS_PER_ARTICLE:07d}.txt", text,
                              Metadata(title=" ".join(parts[0].split()[:12]), date="2020-01-01"))
                chunks, at = [], 0
                for i, part in enumerate(parts):
                    chunks.append(Chunk(aid, i, at, at + len(part), part))
                    at += len(part) + 2
            with watch.lap("terms"):
                tokens = pipeline.chunk_tokens(art, chunks)
            writer.add(art, chunks, like_real(count, centres, rng), tokens)
        writer.commit()
        seconds = {stage: watch.seconds.get(stage, 0.0) for stage in STAGES}
    pipeline.ingest([ROOT / "seeds"], settings, embedder=embedder)  # the real articles, on top
    manifest = json.loads((settings.index_path / "manifest.json").read_text())
    return manifest, seconds, time.perf_counter() - t0


def lexical_every_document(retriever, q: Query, n: int) -> list[int]:
    """The lexical search of 0.3 (exhaustive), a baseline in the same run: BM25 of every document holding any of
    the question's terms, then the n best (the product's `LexicalIndex.top` skips what cannot rank)."""
    lex, parts = retriever.index.lexical, retriever.lexical_parts(q)
    scores = sum(lex.scores(field, [t for f, t, _ in parts if f == field], [w for f, _, w in parts if f == field])
                 for field in FIELDS)
    rows = np.flatnonzero(scores > 0)
    return rows[np.argsort(-scores[rows], kind="stable")[:n]].tolist()


def query_rows(settings: Settings, embedder, questions: list[str]) -> dict[str, tuple[float, float]]:
    assistant = pipeline.Assistant(settings, embedder)
    assistant.ask(questions[0])  # warm
    parsed = {q: Query.parse(q) for q in questions}
    retriever = assistant.retriever  # a fresh one per question, as `ask` makes: none reuses an embedding
    rows = {
        "embed query": timed(embedder.embed_query, questions),
        "lexical search": timed(lambda q: retriever().lexical(parsed[q], settings.candidates), questions),
        "lexical, every document": timed(lambda q: lexical_every_document(retriever(), parsed[q], settings.candidates),
                                          questions),
        "dense search (embed + FAISS)": timed(lambda q: retriever().dense(parsed[q], settings.candidates), questions),
        "hybrid search (both + fusion)": timed(lambda q: retriever().search(parsed[q]), questions),
        "full answer (ask)": timed(assistant.ask, questions),
    }
    return {name: percentiles(ms) for name, ms in rows.items()}


def fresh_query_rows(index_dir: Path, queries: int) -> dict[str, tuple[float, float]]:
    """`query_rows` in a new process, as a server would answer: the builder's memory and its effect on
    the page cache (at 1M chunks the build peaked near 20 GB before 0.5.0) stay out of the query times."""
    out = subprocess.run([sys.executable, __file__, "--queries", str(queries), "--_query-index", str(index_dir)],
                         cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"querying {index_dir} failed: {out.stderr[-500:]}")
    return json.loads(out.stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--_query-index", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    base = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    questions = [base[i % len(base)] for i in range(args.queries)]
    settings = Settings.from_env()
    if args._query_index:  # the child of `fresh_query_rows`
        print(json.dumps(query_rows(replace(settings, index_dir=args._query_index), load_embedder(settings), questions)))
        return
    t0 = time.perf_counter()
    embedder = load_embedder(settings)
    load_s = time.perf_counter() - t0
    print(f"Machine: {machine()}; embedder {embedder.backend}, {settings.threads} threads; model load {load_s:.2f} s\n",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base_settings, base_embedder = one_at_a_time(settings)
        walls: dict[str, list[float]] = {"baseline": [], "default": []}
        for _ in range(2):  # alternate: this shared machine drifts
            report, wall, chars = real_ingest(base_settings, base_embedder, tmp, "baseline")
            walls["baseline"].append(wall)
            report, wall, chars = real_ingest(settings, embedder, tmp, "default")
            walls["default"].append(wall)
        n = report.chunks_added
        print(f"## Ingest of real text: {len(report.added)} files ({chars / len(report.added):.0f} chars each), "
              f"{n} chunks, two alternating runs each\n")
        print("| ingest | wall s | chunks/s |\n|---|---:|---:|")
        for label, key in (("0.2 baseline: each article alone, one run at a time", "baseline"),
                           ("default: 32-chunk groups, parallel single-threaded runs", "default")):
            w = statistics.mean(walls[key])
            print(f"| {label} | {' / '.join(f'{x:.1f}' for x in walls[key])} | {n / w:.1f} |")
        print(f"| ratio | {statistics.mean(walls['baseline']) / statistics.mean(walls['default']):.2f}× | |\n")
        print("Default, last run, per stage:\n")
        print("| stage | seconds | chunks/s |\n|---|---:|---:|")
        for stage in STAGES:
            s = report.seconds.get(stage, 0.0)
            print(f"| {stage} | {s:.2f} | {n / s if s else float('inf'):,.0f} |")
        print("\n(clean, chunk and terms run in a worker thread, overlapping embed.)\n", flush=True)
        del base_embedder

        from benchmarks.scale import real_centres

        centres = real_centres()
        print("## Scale: synthetic chunks + the 5 real seed articles (see the docstring)\n")
        head = ("| chunks | dense index | build s | store / terms / FAISS / lexical s | disk MB | cold start s "
                "| peak RSS MB | lexical p50/p95 ms | lexical exhaustive | dense p50/p95 | hybrid p50/p95 | answer p50/p95 |")
        print(head + "\n|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
        for size in map(int, args.sizes.split(",")):
            settings_n = replace(settings, index_dir=str(tmp / f"index-{size}"))
            manifest, sec, build_s = build_synthetic(settings_n, embedder, size, centres)
            q = fresh_query_rows(settings_n.index_path, args.queries)
            cold_s, rss = cold_start(settings_n.index_path, base[0])
            cols = [f"{manifest['counts']['chunks']:,}", manifest["dense_index"], f"{build_s:.1f}",
                    f"{sec['store']:.1f} / {sec['terms']:.1f} / {sec['faiss']:.1f} / {sec['lexical']:.1f}",
                    f"{folder_mb(settings_n.index_path, manifest):,.0f}", f"{cold_s:.2f}", f"{rss:,.0f}"]
            cols += [f"{q[k][0]:.1f} / {q[k][1]:.1f}" for k in ("lexical search", "lexical, every document",
                                                               "dense search (embed + FAISS)",
                                                               "hybrid search (both + fusion)", "full answer (ask)")]
            print("| " + " | ".join(cols) + " |", flush=True)
            shutil.rmtree(settings_n.index_path)  # free the disk before the next size
        print(f"\nembed query alone (p50/p95 ms, last index): {q['embed query'][0]:.1f} / {q['embed query'][1]:.1f}")


if __name__ == "__main__":
    main()
