"""Retrieval variants side by side on the eval sets in eval/: lexical only, dense only, and fusions.

    python benchmarks/retrieval.py [--xquad-limit N]

Each question is searched once per retriever (top 50 candidates); every fusion variant is then
computed from those same rankings, so the table compares like with like in one run.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import Settings, pin_threads  # noqa: E402

pin_threads(2)

from benchmarks.machine import machine  # noqa: E402
from qa import pipeline  # noqa: E402
from qa.embed import load_embedder  # noqa: E402
from qa.evaluate import corpus_articles, gold_rank, seed_cases  # noqa: E402
from qa.retrieve import Query, Retriever, rrf, score_fusion  # noqa: E402
from qa.store import IndexReader  # noqa: E402

EVAL = ROOT / "eval"  # in the repository (../shared/eval is only an extra source)


@dataclass(frozen=True)
class Passage:
    article_id: str
    file: str
    text: str


def variants() -> dict:
    out = {"lexical (BM25 exact+folded)": lambda lex, den: [p for p, _ in lex],
           "dense (e5-small int8)": lambda lex, den: [p for p, _ in den]}
    for k in (60, 20, 10, 5):
        for wd in (1.0, 0.7, 0.5):
            out[f"rrf k={k} w_dense={wd}"] = (
                lambda lex, den, k=k, wd=wd: [p for p, _ in rrf({"l": [p for p, _ in lex], "d": [p for p, _ in den]},
                                                               {"l": 1.0, "d": wd}, k)])
    for lex_floor in ("min", "0"):
        for wd in (1.0, 0.7, 0.5, 0.3):
            floors = {"l": 0.0} if lex_floor == "0" else {}
            out[f"score lexical-floor={lex_floor} w_dense={wd}"] = (
                lambda lex, den, wd=wd, floors=floors: [
                    p for p, _ in score_fusion({"l": dict(lex), "d": dict(den)}, {"l": 1.0, "d": wd}, floors)])
    return out


def collect(settings: Settings, embedder, cases):
    reader = IndexReader(settings.index_path)
    retriever = Retriever(reader, embedder, settings)
    files = {a.id: a.file for a in reader.catalogue()}
    runs, t_lex, t_den = [], 0.0, 0.0
    for case in cases:
        q = Query.parse(case.question)
        t0 = time.perf_counter()
        lex = retriever.lexical(q, 50)
        t1 = time.perf_counter()
        den = retriever.dense(q, 50)
        t2 = time.perf_counter()
        t_lex, t_den = t_lex + t1 - t0, t_den + t2 - t1
        runs.append((case, lex, den, [p for p, _ in retriever.fuse(q, lex, den)]))
    chunks = reader.chunks(sorted({p for _, lex, den, _ in runs for p, _ in lex + den}))
    passages = {p: Passage(c.article_id, files[c.article_id], c.text) for p, c in chunks.items()}
    return runs, passages, 1000 * t_lex / len(cases), 1000 * t_den / len(cases)


def metrics(runs, passages, rank_fn) -> dict:
    """rank_fn(lex, den) → positions; None means the product's own fusion with its default settings."""
    ranks = [gold_rank(case, [passages[p] for p in (rank_fn(lex, den) if rank_fn else default)[:10]])
             for case, lex, den, default in runs]
    n = len(ranks)
    return {"R@1": 100 * sum(r == 1 for r in ranks) / n, "R@5": 100 * sum(0 < r <= 5 for r in ranks) / n,
            "R@10": 100 * sum(0 < r <= 10 for r in ranks) / n, "MRR@10": 100 * sum(1 / r for r in ranks if r) / n}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--xquad-limit", type=int, default=None, help="only the first N xquad_vi questions")
    args = ap.parse_args()
    settings = Settings.from_env()
    embedder = load_embedder(settings)
    datasets = {}
    with tempfile.TemporaryDirectory() as tmp:
        seeds = replace(settings, index_dir=f"{tmp}/seeds")
        pipeline.ingest([ROOT / "seeds"], seeds, embedder=embedder)
        datasets["seed_questions"] = collect(seeds, embedder, seed_cases(EVAL / "seed_questions.jsonl"))
        xq = replace(settings, index_dir=f"{tmp}/xquad")
        articles, cases = corpus_articles(EVAL / "xquad_vi")
        with pipeline.open_writer(xq, embedder, rebuild=True) as writer:
            pipeline.add_articles(writer, articles, embedder, xq)
            writer.commit()
        datasets["xquad_vi"] = collect(xq, embedder, cases[: args.xquad_limit])

    print(f"Machine: {machine()}; embedder {embedder.backend}; chunks {settings.chunk_size}/{settings.chunk_overlap}")
    for name, (runs, passages, ms_lex, ms_den) in datasets.items():
        print(f"\n## {name} ({len(runs)} questions; lexical {ms_lex:.1f} ms/query, dense {ms_den:.1f} ms/query)\n")
        print("| variant | R@1 | R@5 | R@10 | MRR@10 |\n|---|---:|---:|---:|---:|")
        for label, fn in [*variants().items(), ("**default: score, dense 0.5 (1.0 when a word is unseen)**", None)]:
            m = metrics(runs, passages, fn)
            print(f"| {label} | {m['R@1']:.1f} | {m['R@5']:.1f} | {m['R@10']:.1f} | {m['MRR@10']:.1f} |")


if __name__ == "__main__":
    main()
