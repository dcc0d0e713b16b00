"""Peak memory and wall time of an index build, this tree's code against a baseline commit's.

    python benchmarks/build_memory.py [--sizes 25000,100000,200000] [--baseline main]

Each build runs in a fresh child process with the code under test first on sys.path (this tree, or
a detached worktree of the baseline commit): N synthetic chunks (benchmarks/perf.py's `Haystack`:
spans of real Vietnamese passages with random syllables, so the vocabulary grows with N) with
synthetic vectors shaped like real e5 embeddings (benchmarks/scale.py's `like_real`; the real
centres are embedded once, in a child of their own) go through the product's `IndexWriter` (SQLite
store, FAISS adds, lexical postings) and one commit, as `qa ingest --rebuild` writes them. Peak RSS
is the child's own VmHWM (its high-water resident set; ru_maxrss would also count the parent it
was forked from). "same files" compares the two builds' lexical folder and FAISS file byte for byte
and the SQLite rows (all but the `added` timestamps, which differ between runs by nature).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHUNKS_PER_ARTICLE = 8


def _peak_mb() -> float:
    line = next(x for x in open("/proc/self/status") if x.startswith("VmHWM"))
    return int(line.split()[1]) / 1024


def child_centres(out: Path) -> None:
    import numpy as np

    from benchmarks.scale import real_centres

    np.save(out, real_centres())


def child_build(n: int, index_dir: Path, centres_file: Path) -> dict:
    """Build an index of n synthetic chunks with the code first on sys.path; its numbers as a dict."""
    from dataclasses import replace
    from types import SimpleNamespace

    import numpy as np

    from benchmarks.perf import Haystack
    from benchmarks.scale import like_real
    from qa import pipeline
    from qa.config import Settings
    from qa.ingest import article_id
    from qa.records import Article, Chunk, Metadata

    settings = replace(Settings.from_env(), index_dir=str(index_dir))
    centres = np.load(centres_file)
    hay, rng = Haystack(), np.random.default_rng(n)
    embedder = SimpleNamespace(model_id="intfloat/multilingual-e5-small", backend="synthetic", dim=centres.shape[1])
    base = _peak_mb()
    t0 = time.perf_counter()
    with pipeline.open_writer(settings, embedder, rebuild=True) as writer:
        for first in range(0, n, CHUNKS_PER_ARTICLE):
            count = min(CHUNKS_PER_ARTICLE, n - first)
            parts = [hay.chunk_text() for _ in range(count)]
            text = "\n\n".join(parts)
            aid = article_id(f"{first}:{text}")
            art = Article(aid, f"synthetic-{first // CHUNKS_PER_ARTICLE:07d}.txt", text,
                          Metadata(title=" ".join(parts[0].split()[:12]), date="2020-01-01"))
            chunks, at = [], 0
            for i, part in enumerate(parts):
                chunks.append(Chunk(aid, i, at, at + len(part), part))
                at += len(part) + 2
            writer.add(art, chunks, like_real(count, centres, rng), pipeline.chunk_tokens(art, chunks))
        manifest = writer.commit()
        seconds = dict(writer.watch.seconds)
    wall = time.perf_counter() - t0
    return {"chunks": manifest["counts"]["chunks"], "wall": wall, "peak_mb": _peak_mb(), "start_mb": base,
            "seconds": seconds, "dense": manifest["dense_index"]}


def fingerprint(index_dir: Path) -> str:
    """One hash of the generation's lexical files, FAISS file and SQLite rows (less `added`)."""
    manifest = json.loads((index_dir / "manifest.json").read_text())
    files = manifest["files"]
    h = hashlib.sha256()
    lexical = index_dir / files["lexical"]
    for p in sorted(p for p in lexical.rglob("*") if p.is_file()):
        h.update(str(p.relative_to(lexical)).encode() + b"\0" + p.read_bytes())
    h.update((index_dir / files["faiss"]).read_bytes())
    with sqlite3.connect(index_dir / files["sqlite"]) as db:
        for table, cols in (("articles", "id, file, text, meta"), ("files", "*"), ("chunks", "*")):
            for row in db.execute(f"SELECT {cols} FROM {table} ORDER BY 1"):
                h.update(repr(row).encode())
    return h.hexdigest()


def run_child(code: Path, args: list[str]) -> dict:
    env = {**os.environ, "PYTHONPATH": str(code)}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), *args, "--_code", str(code)],
                          cwd=code, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"child {args} in {code} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.splitlines()[-1]) if proc.stdout.strip() else {}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="25000,100000,200000")
    ap.add_argument("--baseline", default="main", help="git commit-ish whose code is the baseline")
    ap.add_argument("--_code", help=argparse.SUPPRESS)
    ap.add_argument("--_build", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--_index", help=argparse.SUPPRESS)
    ap.add_argument("--_centres", help=argparse.SUPPRESS)
    ap.add_argument("--_make-centres", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args._code:  # a child: the code under test comes first
        sys.path.insert(0, args._code)
        from qa.config import pin_threads

        pin_threads(2)
        if args._make_centres:
            child_centres(Path(args._centres))
        else:
            print(json.dumps(child_build(args._build, Path(args._index), Path(args._centres))))
        return

    sys.path.insert(0, str(ROOT))
    from benchmarks.machine import machine

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        base_tree = tmp / "baseline"
        rev = subprocess.run(["git", "rev-parse", "--short", args.baseline], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        subprocess.run(["git", "worktree", "add", "--detach", str(base_tree), args.baseline], cwd=ROOT, check=True,
                       capture_output=True)
        try:
            centres = tmp / "centres.npy"
            run_child(ROOT, ["--_make-centres", "--_centres", str(centres)])
            print(f"Machine: {machine()}; baseline {args.baseline} ({rev}) against this tree; synthetic chunks "
                  "and vectors (see the docstring); one commit per build\n")
            print("| chunks | dense | old peak RSS MB | new peak RSS MB | RSS new/old | old wall s | new wall s "
                  "| wall new/old | same files |\n|---:|---|---:|---:|---:|---:|---:|---:|---|", flush=True)
            stages = []
            for n in map(int, args.sizes.split(",")):
                out = {}
                for label, code in (("old", base_tree), ("new", ROOT)):
                    index = tmp / f"index-{label}"
                    out[label] = run_child(code, ["--_build", str(n), "--_index", str(index),
                                                  "--_centres", str(centres)])
                    out[label]["hash"] = fingerprint(index)
                old, new = out["old"], out["new"]
                print(f"| {new['chunks']:,} | {new['dense']} | {old['peak_mb']:,.0f} | {new['peak_mb']:,.0f} "
                      f"| {new['peak_mb'] / old['peak_mb']:.2f} | {old['wall']:.1f} | {new['wall']:.1f} "
                      f"| {new['wall'] / old['wall']:.2f} | {'yes' if old['hash'] == new['hash'] else 'NO'} |",
                      flush=True)
                stages.append((new["chunks"], old["seconds"], new["seconds"]))
                for label in ("old", "new"):
                    subprocess.run(["rm", "-rf", str(tmp / f"index-{label}")], check=True)
            print("\nSeconds per stage of the writer, old / new (lexical: the adds' share and the commit's merge; "
                  "faiss: the adds and the IVF copy):\n\n| chunks | store | faiss | lexical |\n|---:|---:|---:|---:|")
            for n, old, new in stages:
                print(f"| {n:,} | " + " | ".join(f"{old.get(k, 0):.1f} / {new.get(k, 0):.1f}"
                                                for k in ("store", "faiss", "lexical")) + " |")
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(base_tree)], cwd=ROOT, capture_output=True)


if __name__ == "__main__":
    main()
