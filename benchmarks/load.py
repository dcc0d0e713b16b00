"""Load test of the real server on 127.0.0.1: concurrent clients on /api/ask, then memory over many queries.

    python benchmarks/load.py [--clients 20] [--seconds 60] [--memory-queries 1000]

Builds a seed index in a temporary folder, starts `python app.py` on a free loopback port, and stops
it at the end. Bounded in time and count; sends traffic only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.machine import machine  # noqa: E402

QUESTIONS = [json.loads(line)["question"]
             for line in (ROOT / "eval" / "seed_questions.jsonl").read_text(encoding="utf-8").splitlines()]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_server(index: str) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "QA_INDEX_DIR": index, "GRADIO_SERVER_PORT": str(port)}
    proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not start")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--memory-queries", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "QA_INDEX_DIR": f"{tmp}/index"}
        subprocess.run([sys.executable, "-m", "qa.cli", "ingest", "--quiet", str(ROOT / "seeds")], env=env, check=True)
        proc, url = start_server(f"{tmp}/index")
        try:
            latencies: list[float] = []
            errors: list[str] = []
            lock = threading.Lock()
            deadline = time.monotonic() + args.seconds

            def client(i: int) -> None:
                with httpx.Client(timeout=30) as http:
                    n = i
                    while time.monotonic() < deadline:
                        q = QUESTIONS[n % len(QUESTIONS)]
                        n += 1
                        t0 = time.perf_counter()
                        try:
                            r = http.post(url + "/api/ask", json={"question": q, "k": 5})
                            ok = r.status_code == 200 and r.json()["citations"]
                            err = None if ok else f"HTTP {r.status_code}"
                        except httpx.HTTPError as exc:
                            err = exc.__class__.__name__
                        with lock:
                            latencies.append((time.perf_counter() - t0) * 1000)
                            if err:
                                errors.append(err)

            threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
            t0 = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.monotonic() - t0
            lat = sorted(latencies)

            before = rss_mb(proc.pid)
            with httpx.Client(timeout=30) as http:
                for i in range(args.memory_queries):
                    http.post(url + "/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)] + f" {i}", "k": 5})
            after = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)

    print(f"Machine: {machine()}; server: python app.py (uvicorn, default settings), seed index\n")
    print("| clients | seconds | requests | errors | req/s | p50 ms | p95 ms | RSS before → after "
          f"{args.memory_queries} more queries |\n|---:|---:|---:|---:|---:|---:|---:|---|")
    print(f"| {args.clients} | {wall:.0f} | {len(lat)} | {len(errors)} | {len(lat) / wall:.1f} | "
          f"{statistics.median(lat):.0f} | {lat[int(0.95 * (len(lat) - 1))]:.0f} | {before:.0f} MB → {after:.0f} MB |")


if __name__ == "__main__":
    main()
