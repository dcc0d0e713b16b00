"""Answer latency of this checkout against a baseline commit, in the same run.

Each side runs in its own process with its own code (the baseline from a temporary `git worktree`):
it indexes `seeds/`, warms up, then asks the questions of `eval/seed_questions.jsonl` (and the
unanswerable ones of `eval/seed_negatives.jsonl`) `--rounds` times through the library
(`Assistant.ask`), and reports p50 / p95 in milliseconds. The sides alternate `--repeat` times, so
that a busy machine slows both alike; the table gives each run and the ratio to the baseline.

    python benchmarks/answer_latency.py                     # against 0.4.0 (dbb3965)
    python benchmarks/answer_latency.py --baseline HEAD~3 --rounds 5 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, statistics, sys, tempfile, time
from pathlib import Path
from dataclasses import replace
sys.path.insert(0, sys.argv[1])
from qa import pipeline
from qa.config import Settings
from qa.embed import load_embedder
from qa.pipeline import Assistant
root, data, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
settings = Settings.from_env()
embedder = load_embedder(settings)
settings = replace(settings, index_dir=tempfile.mkdtemp() + "/index")
pipeline.ingest([Path(data) / "seeds"], settings, embedder=embedder)
assistant = Assistant(settings, embedder)
questions = [json.loads(line)["question"] for name in ("seed_questions", "seed_negatives")
             for line in open(f"{data}/eval/{name}.jsonl", encoding="utf-8") if line.strip()]
for q in questions[:5]:
    assistant.ask(q)
times = []
for _ in range(rounds):
    for q in questions:
        t0 = time.perf_counter()
        assistant.ask(q)
        times.append(1000 * (time.perf_counter() - t0))
times.sort()
print(json.dumps({"n": len(times), "p50": statistics.median(times), "p95": times[int(0.95 * (len(times) - 1))]}))
"""


def measure(tree: Path, rounds: int) -> dict:
    """One side's p50/p95: its code from `tree`, the questions and seeds from this checkout."""
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), str(ROOT), str(rounds)],
                         capture_output=True, text=True, cwd=tree)
    if out.returncode:
        sys.exit(f"the run in {tree} failed: {(out.stderr.strip().splitlines() or ['?'])[-1]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baseline", default="dbb3965", help="commit to compare with (default: 0.4.0)")
    ap.add_argument("--rounds", type=int, default=3, help="times each question is asked per run")
    ap.add_argument("--repeat", type=int, default=2, help="alternating runs per side")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="qa-latency-") as tmp:
        base = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(base), args.baseline], check=True)
        try:
            rows = []
            for i in range(args.repeat):
                b = measure(base, args.rounds)
                c = measure(ROOT, args.rounds)
                rows.append((i + 1, b, c))
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(base)], check=False)
    print(f"| run | questions asked | baseline {args.baseline} p50 / p95 ms | this checkout p50 / p95 ms "
          "| p50 ratio | p50 difference ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for i, b, c in rows:
        print(f"| {i} | {c['n']} | {b['p50']:.1f} / {b['p95']:.1f} | {c['p50']:.1f} / {c['p95']:.1f} "
              f"| {c['p50'] / b['p50']:.2f} | {c['p50'] - b['p50']:+.1f} |")


if __name__ == "__main__":
    main()
