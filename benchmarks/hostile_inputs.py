"""Time the real `qa ingest` on the worst input shapes we can think of, at a few sizes.

Each row is one file ingested by `python -m qa.cli ingest --quiet FILE` into a fresh index (real
model, real FAISS index; the seconds include starting the process and loading the model, reading,
cleaning, metadata, chunking, tokenising and embedding). The same-run baseline is the "news" shape
(the seed articles repeated) at the same size: `× news` is the row's time over the baseline's.

    python benchmarks/hostile_inputs.py                     # every shape at 40 KB, 1 MB, 4.9 MB
    python benchmarks/hostile_inputs.py --sizes 64K,1M --shapes news,md_strong
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NEWS = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt")))


def _repeat(unit: str | Callable[[int], str]) -> Callable[[int], str]:
    """A generator of about n bytes: the unit (or unit(i) for i = 0, 1, …) repeated."""
    def make(n: int) -> str:
        parts, size, i = [], 0, 0
        while size < n:
            piece = unit(i) if callable(unit) else unit
            parts.append(piece)
            size += len(piece.encode("utf-8"))
            i += 1
        return "".join(parts)
    return make


def _wrapped(head: str, unit: str | Callable[[int], str], tail: str) -> Callable[[int], str]:
    return lambda n: head + _repeat(unit)(max(0, n - len(head.encode()) - len(tail.encode()))) + tail


SENTENCE = "Năm 2021 tỉnh Hà Nam xếp thứ 60/63 về chỉ số cải cách hành chính, tụt 17 bậc so với năm 2020. "

# name → (suffix, generator of about n bytes)
SHAPES: dict[str, tuple[str, Callable[[int], str]]] = {
    # the seeds again and again, each copy's paragraphs numbered so that clean() keeps them all
    "news": (".txt", lambda n: _repeat(lambda i: "\n\n".join(f"({i}) {p}" for p in NEWS.split("\n\n")) + "\n\n")(n)
             .encode("utf-8")[:n].decode("utf-8", "ignore")),  # one copy is 60 KB: cut to n bytes
    "many_short_lines": (".txt", _repeat("a b\n")),
    "one_long_line": (".txt", _repeat(SENTENCE.replace(". ", ", "))),
    "giant_word": (".txt", lambda n: "Hà" + "a" * n),
    "blank_lines": (".txt", _wrapped(SENTENCE, "\n \t", SENTENCE)),
    "md_strong_unclosed": (".md", _repeat("**a ")),
    "md_strike_unclosed": (".md", _repeat("~~a ")),
    "md_links_unclosed": (".md", _repeat("[a](")),
    "md_nested_quotes": (".md", _repeat(lambda i: "> " * (i % 50) + "- *a* _b_ `c`\n")),
    "html_deep_nesting": (".html", lambda n: "<html><body>" + "<div>" * (n // 11) + SENTENCE
                          + "</div>" * (n // 11) + "</body></html>"),
    "html_huge_attribute": (".html", lambda n: f'<html><body><p title="{"a" * n}">{SENTENCE * 3}</p></body></html>'),
    "html_many_tags": (".html", _wrapped("<html><body><article>", lambda i: f"<p>Tỉnh <b>Hà</b> Nam số {i}.</p>",
                                        "</article></body></html>")),
    "doc_numbers": (".txt", _repeat(lambda i: f"{i % 9999}-NQ/TU, {i % 999}/2021/NĐ-CP ")),
    "capitalised_names": (".txt", _repeat("ông Nguyễn Văn An; Trần Thị Bình, Lê Văn Cường, ")),  # one sentence
    "clutter_lines": (".txt", _repeat(lambda i: ("Chia sẻ\nLượt xem: 503\n© 2021 Báo Hà Nam\n" if i % 2
                                                 else f"{SENTENCE}({i})\n"))),
    "slug_lines": (".txt", lambda n: "Tỉnh Hà Nam cải cách\n\n" + _repeat(lambda i: f"tinh ha nam {i}\n\n")(n)),
    "licence_then_long": (".txt", _wrapped("", lambda i: f"© Báo Hà Nam, giấy phép số 12/GP-BTTTT\nTin ngắn {i}\n",
                                           SENTENCE * 5)),  # every licence line is followed by short lines
    "dates_and_sources": (".txt", _repeat(lambda i: f"Ngày {i % 40}/{i % 15}/2021\nNguồn: báo {i}\n")),
    "invisible_chars": (".txt", _repeat("C\u200eốc\u2063 C\u2800ốc\ufe0f \u202eHà\u202c Nam ")),
}
SIZES = {"40K": 40 * 1024, "1M": 1024 * 1024, "4.9M": int(4.9 * 1024 * 1024)}


def ingest(path: Path, timeout: float) -> tuple[float, str, str]:
    """Seconds, verdict and the refusal reason of `qa ingest` on one file into a fresh index."""
    with tempfile.TemporaryDirectory() as index:
        env = {**os.environ, "QA_INDEX_DIR": index, "PYTHONPATH": str(ROOT)}
        start = time.perf_counter()
        try:
            out = subprocess.run([sys.executable, "-m", "qa.cli", "ingest", "--quiet", str(path)], env=env,
                                 capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return time.perf_counter() - start, "TIMEOUT", ""
        seconds = time.perf_counter() - start
    lines = out.stderr.strip().splitlines()
    refused = [x for x in lines if x.startswith("refused:")]
    if out.returncode == 0 and lines and " added (" in lines[-1]:
        return seconds, "ingested " + lines[-1].split(" added ")[1].split(",")[0].strip("()"), ""
    if refused:
        return seconds, "refused", refused[0].split(": ", 2)[-1][:70]
    return seconds, f"FAILED rc={out.returncode}", (lines[-1] if lines else "")[:70]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default=",".join(SIZES), help=f"comma-separated, of {', '.join(SIZES)}")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shape names")
    ap.add_argument("--timeout", type=float, default=600.0, help="seconds before a run counts as hung")
    args = ap.parse_args()
    shapes = ["news"] + [s for s in args.shapes.split(",") if s != "news"]
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from machine import machine

    print(f"# {machine()}")
    print("| shape | size | seconds | s/MB | × news | result |")
    print("|---|---:|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for size_name in args.sizes.split(","):
            n = SIZES[size_name]
            baseline = None
            for shape in shapes:
                suffix, make = SHAPES[shape]
                data = make(n)  # about n bytes: a unit more at most
                path = Path(tmp) / f"{shape}{suffix}"
                path.write_text(data, encoding="utf-8")
                mb = path.stat().st_size / 1_048_576
                seconds, verdict, reason = ingest(path, args.timeout)
                baseline = seconds if shape == "news" else baseline
                ratio = f"{seconds / baseline:.2f}" if baseline else "–"
                result = f"{verdict}: {reason}" if reason else verdict
                print(f"| {shape} | {size_name} | {seconds:.1f} | {seconds / mb:.1f} | {ratio} | {result} |", flush=True)
                path.unlink()


if __name__ == "__main__":
    main()
