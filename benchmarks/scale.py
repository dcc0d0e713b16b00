"""Search and lexical-index cost from 10k to 1M chunks (synthetic data; says so in the table).

    python benchmarks/scale.py [--sizes 10000,100000,1000000] [--queries 200]

Vectors: synthetic, but shaped like real ones: each lies between two real e5-small embeddings of
xquad_vi passages, plus Gaussian noise (norm 0.35), re-normalised, so the collection has the clusters
and the cosine range of real embeddings (pure random 384-d vectors have neither and make every ANN
index look bad). Queries are stored vectors with a little more noise; recall@10 is against exact search. Lexical: synthetic chunks of
~150 tokens drawn from the seed articles' own vocabulary, indexed with the product's terms.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa.config import pin_threads  # noqa: E402

pin_threads(2)

import faiss  # noqa: E402

from benchmarks.machine import machine  # noqa: E402
from qa.lexical import LexicalIndex  # noqa: E402
from qa.text import normalize, terms  # noqa: E402

DIM = 384


def unit(rows: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.standard_normal((rows, DIM), dtype=np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def real_centres() -> np.ndarray:
    """e5-small embeddings of xquad_vi's 240 passages (the product's default embedder)."""
    import json

    from qa.config import Settings
    from qa.embed import load_embedder

    texts = [json.loads(x)["text"] for x in (ROOT / "eval" / "xquad_vi" / "passages.jsonl").read_text(
        encoding="utf-8").splitlines()]
    return load_embedder(Settings.from_env()).embed_passages(texts)


def like_real(n: int, centres: np.ndarray, rng: np.random.Generator, noise: float = 0.35) -> np.ndarray:
    a = rng.random((n, 1), dtype=np.float32)  # points along the line between two real embeddings, plus noise
    x = a * centres[rng.integers(0, len(centres), n)] + (1 - a) * centres[rng.integers(0, len(centres), n)]
    x += noise * unit(n, rng)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def p50_ms(fn, queries) -> float:
    times = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - t0) * 1000)
    return float(np.median(times))


def recall_at_10(index, queries, truth) -> float:
    _, ids = index.search(queries, 10)
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, truth)]))


def vector_rows(n: int, n_queries: int, rng, centres: np.ndarray) -> list[tuple]:
    base = like_real(n, centres, rng)
    picks = rng.choice(n, n_queries, replace=False)
    queries = base[picks] + 0.3 * unit(n_queries, rng)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    flat = faiss.IndexFlatIP(DIM)
    t0 = time.perf_counter()
    flat.add(base)
    rows = [("flat (exact)", time.perf_counter() - t0, p50_ms(lambda q: flat.search(q[None], 10), queries), 1.0,
             n * DIM * 4)]
    _, truth = flat.search(queries, 10)
    if n <= 200_000:
        hnsw = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = 80
        t0 = time.perf_counter()
        hnsw.add(base)
        build = time.perf_counter() - t0
        for ef in (32, 64, 128):
            hnsw.hnsw.efSearch = ef
            rows.append((f"HNSW M=32 ef={ef}", build, p50_ms(lambda q: hnsw.search(q[None], 10), queries),
                         recall_at_10(hnsw, queries, truth), n * DIM * 4 + n * 32 * 2 * 4))
    nlist = int(min(4 * np.sqrt(n), n / 40))
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(DIM), DIM, nlist, faiss.METRIC_INNER_PRODUCT)
    t0 = time.perf_counter()
    ivf.train(base[rng.choice(n, min(n, 40 * nlist), replace=False)])
    ivf.add(base)
    build = time.perf_counter() - t0
    for nprobe in (8, 32):
        ivf.nprobe = nprobe
        rows.append((f"IVF-Flat nlist={nlist} nprobe={nprobe}", build, p50_ms(lambda q: ivf.search(q[None], 10), queries),
                     recall_at_10(ivf, queries, truth), n * DIM * 4))
    return rows


def lexical_row(n: int, vocab: list[str], rng: random.Random) -> tuple:
    docs = [terms(" ".join(rng.choices(vocab, k=150))) for _ in range(n)]
    t0 = time.perf_counter()
    lex = LexicalIndex.build(docs, np.arange(n))
    build = time.perf_counter() - t0
    queries = [terms(" ".join(rng.choices(vocab, k=8))) for _ in range(100)]
    ms = p50_ms(lambda q: lex.scores("exact", q) + 0.5 * lex.scores("folded", q), queries)
    return build, ms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--lexical-sizes", default="10000,100000")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    centres = real_centres()
    print(f"Machine: {machine()}; faiss {faiss.__version__}, 2 threads; synthetic vectors around real e5 "
          "embeddings, synthetic text\n")
    print("| chunks | index | build s | search p50 ms (1 query, k=10) | recall@10 vs exact | vectors MB |")
    print("|---:|---|---:|---:|---:|---:|")
    for n in map(int, args.sizes.split(",")):
        for name, build, ms, rec, size in vector_rows(n, args.queries, rng, centres):
            print(f"| {n:,} | {name} | {build:.1f} | {ms:.2f} | {rec:.3f} | {size / 2**20:.0f} |", flush=True)
    vocab = sorted({w for p in (ROOT / "seeds").glob("*.txt") for w in normalize(p.read_text()).split()})
    print("\n| chunks | lexical (BM25 postings, exact + folded, terms with bigrams) | build s | query p50 ms |\n|---:|---|---:|---:|")
    for n in map(int, args.lexical_sizes.split(",")):
        build, ms = lexical_row(n, vocab, random.Random(0))
        print(f"| {n:,} | synthetic chunks of 150 words from the seeds' vocabulary | {build:.1f} | {ms:.2f} |", flush=True)


if __name__ == "__main__":
    main()
