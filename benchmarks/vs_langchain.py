"""Our pipeline against what users would otherwise assemble, in one run on the same model and corpus.

    pip install -e ".[bench]"; python benchmarks/vs_langchain.py [--limit N] [--repeat 3]

Corpus: xquad_vi's 240 passages; questions: its 1,190 (or --limit). Compared:
- ours: `qa` ingest (clean → chunk → ONNX int8 embed → FAISS + BM25) and hybrid search;
- LangChain: `FAISS.from_texts` + `HuggingFaceEmbeddings` (sentence-transformers, torch fp32) on the
  same converted e5-small, same e5 prefixes, `similarity_search`;
- lexical only: our BM25 (numpy postings, two fields) against `rank_bm25.BM25Okapi` on the same tokens.
Each side runs in its own process so memory is its own (peak RSS from the kernel), and ingests
WARM_UP passages into a throwaway index before its clock starts (imports, models, first runs), so
the times compare steady-state ingest. Note that ours embeds more text than LangChain's: its
700-character chunks with 100 of overlap split the 240 passages into 363 chunks, LangChain embeds the
240 passages whole.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
XQUAD = ROOT / "eval" / "xquad_vi"
WARM_UP = 8  # passages each side ingests into a throwaway index first: the clock times steady-state ingest


def load(limit: int | None):
    passages = [json.loads(x) for x in (XQUAD / "passages.jsonl").read_text(encoding="utf-8").splitlines()]
    questions = [json.loads(x) for x in (XQUAD / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    return passages, questions[:limit]


def r_at_5(ranked: list[list[str]], questions) -> float:
    return 100 * sum(bool(set(q["passage_ids"]) & set(r[:5])) for q, r in zip(questions, ranked)) / len(questions)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(limit):
    from dataclasses import replace

    from qa import pipeline
    from qa.config import Settings, pin_threads
    from qa.embed import load_embedder
    from qa.evaluate import corpus_articles
    from qa.retrieve import Query

    pin_threads(2)
    passages, questions = load(limit)
    articles, _ = corpus_articles(XQUAD)
    file_to_id = {a.id: a.file[:-4] for a in articles}
    with tempfile.TemporaryDirectory() as tmp:
        settings = replace(Settings.from_env(), index_dir=tmp)
        embedder = load_embedder(settings)

        def ingest_all(batch):
            with pipeline.open_writer(settings, embedder, rebuild=True) as writer:
                pipeline.add_articles(writer, batch, embedder, settings)
                writer.commit()

        ingest_all(articles[:WARM_UP])  # lazy imports and the bulk session load before the clock, as on the other side
        t0 = time.perf_counter()
        ingest_all(articles)
        ingest = time.perf_counter() - t0
        retriever = pipeline.Assistant(settings, embedder).retriever()
        ranked, lat, lex_lat, lex_ranked = [], [], [], []
        for q in questions:
            t0 = time.perf_counter()
            hits = retriever.search(Query.parse(q["question"]), 10)
            lat.append(time.perf_counter() - t0)
            ranked.append(list(dict.fromkeys(file_to_id[h.chunk.article_id] for h in hits)))
            t0 = time.perf_counter()
            lex = retriever.lexical(Query.parse(q["question"]), 10)
            lex_lat.append(time.perf_counter() - t0)
            chunks = retriever.index.chunks([p for p, _ in lex])
            lex_ranked.append(list(dict.fromkeys(file_to_id[chunks[p].article_id] for p, _ in lex)))
    return {"ingest_s": ingest, "query_ms": 1000 * sorted(lat)[len(lat) // 2], "R@5": r_at_5(ranked, questions),
            "lex_ms": 1000 * sorted(lex_lat)[len(lex_lat) // 2], "lex_R@5": r_at_5(lex_ranked, questions),
            "peak_mb": peak_mb()}


def run_langchain(limit):
    import torch
    from langchain_community.vectorstores import FAISS
    from langchain_huggingface import HuggingFaceEmbeddings

    from qa.config import Settings

    torch.set_num_threads(2)
    passages, questions = load(limit)
    model_dir = str(Path(Settings.from_env().model_dir) / "st")

    class E5(HuggingFaceEmbeddings):  # the e5 prefixes users must add themselves
        def embed_documents(self, texts):
            return super().embed_documents(["passage: " + t for t in texts])

        def embed_query(self, text):
            return super().embed_query("query: " + text)

    emb = E5(model_name=model_dir, model_kwargs={"device": "cpu"}, encode_kwargs={"normalize_embeddings": True})
    FAISS.from_texts([p["text"] for p in passages[:WARM_UP]], emb)  # first-run allocations before the clock
    t0 = time.perf_counter()
    store = FAISS.from_texts([p["text"] for p in passages], emb, metadatas=[{"id": p["id"]} for p in passages])
    ingest = time.perf_counter() - t0
    ranked, lat = [], []
    for q in questions:
        t0 = time.perf_counter()
        docs = store.similarity_search(q["question"], k=10)
        lat.append(time.perf_counter() - t0)
        ranked.append([d.metadata["id"] for d in docs])
    return {"ingest_s": ingest, "query_ms": 1000 * sorted(lat)[len(lat) // 2], "R@5": r_at_5(ranked, questions),
            "peak_mb": peak_mb()}


def run_rank_bm25(limit):
    from rank_bm25 import BM25Okapi

    from qa.retrieve import Query
    from qa.text import terms

    passages, questions = load(limit)
    t0 = time.perf_counter()
    bm25 = BM25Okapi([terms(p["text"]) for p in passages])
    build = time.perf_counter() - t0
    ranked, lat = [], []
    for q in questions:
        t0 = time.perf_counter()
        scores = bm25.get_scores(Query.parse(q["question"]).tokens)
        lat.append(time.perf_counter() - t0)
        ranked.append([passages[i]["id"] for i in scores.argsort()[::-1][:10]])
    return {"build_s": build, "query_ms": 1000 * sorted(lat)[len(lat) // 2], "R@5": r_at_5(ranked, questions)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side, alternating (medians reported)")
    ap.add_argument("--_side", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._side:
        print(json.dumps(globals()[f"run_{args._side}"](args.limit)))
        return

    def side(name: str) -> dict:
        cmd = [sys.executable, __file__, "--_side", name] + (["--limit", str(args.limit)] if args.limit else [])
        out = subprocess.run(cmd, capture_output=True, text=True, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    runs: dict[str, list[dict]] = {"ours": [], "langchain": []}
    for r in range(args.repeat):  # alternate which side goes first: this shared machine drifts
        for name in ("ours", "langchain") if r % 2 == 0 else ("langchain", "ours"):
            runs[name].append(side(name))
    rb = side("rank_bm25")
    from benchmarks.machine import machine

    def med(name: str, key: str) -> float:
        return statistics.median(x[key] for x in runs[name])

    def span(key: str) -> str:
        ratios = sorted(lc[key] / o[key] for o, lc in zip(runs["ours"], runs["langchain"]))
        return f"{statistics.median(ratios):.2f}× ({ratios[0]:.2f}–{ratios[-1]:.2f})"

    o = {k: med("ours", k) for k in runs["ours"][0]}
    lc = {k: med("langchain", k) for k in runs["langchain"][0]}
    print(f"Machine: {machine()}; corpus xquad_vi 240 passages, {args.limit or 1190} questions, 2 threads; "
          f"medians of {args.repeat} alternating runs per side\n")
    print("| pipeline | ingest s | passages/s | query p50 ms | R@5 | peak RSS MB |\n|---|---:|---:|---:|---:|---:|")
    print(f"| ours: hybrid, ONNX int8 | {o['ingest_s']:.1f} | {240 / o['ingest_s']:.1f} | {o['query_ms']:.1f} | "
          f"{o['R@5']:.1f} | {o['peak_mb']:.0f} |")
    print(f"| LangChain FAISS + HuggingFaceEmbeddings (torch fp32) | {lc['ingest_s']:.1f} | {240 / lc['ingest_s']:.1f} | "
          f"{lc['query_ms']:.1f} | {lc['R@5']:.1f} | {lc['peak_mb']:.0f} |")
    print(f"| ratio LangChain / ours, median (range) of the paired runs | {span('ingest_s')} | | {span('query_ms')} "
          f"| | {span('peak_mb')} |")
    print("\n| lexical | query p50 ms | R@5 |\n|---|---:|---:|")
    print(f"| ours: BM25 postings (numpy), exact + folded fields | {o['lex_ms']:.2f} | {o['lex_R@5']:.1f} |")
    print(f"| rank_bm25 BM25Okapi, same terms (build {rb['build_s']:.2f} s) | {rb['query_ms']:.2f} | {rb['R@5']:.1f} |")
    print(f"| ratio (rank_bm25 / ours) | {rb['query_ms'] / o['lex_ms']:.1f}× | |")


if __name__ == "__main__":
    main()
