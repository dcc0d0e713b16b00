"""Precision and recall of the document register's extraction (number, kind, date) on labelled text.

    python benchmarks/register.py [eval/documents.jsonl eval/documents_seeds.jsonl]

Each line of a label file holds `text` (or `file`, an article read as `qa ingest` reads it) and the
`mentions` a reader finds in it, in order: number, kind, date (ISO or null when the text does not
state it). A predicted mention matches the next expected one with the same number; a kind or date
counts as right only on a matched mention with the same value. Splits: `dev` (the sentences the
rules were written against), `test` (written afterwards, never used to change a rule), `seeds`.
Short citations ("Nghị quyết số 57" after the whole number) are not labelled and not counted.
The baseline, in the same run, is what the number alone gives: kind from its type letters (NQ,
QĐ, KH…), the first "ngày d/m/yyyy" within 40 characters after it.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import register  # noqa: E402
from qa.ingest import load_article  # noqa: E402
from qa.metadata import DATE, DOC_NUMBER, LICENCE, iso  # noqa: E402

FIELDS = ("number", "kind", "date")
_NEAR_DATE = re.compile(rf"ngày\s+{DATE}", re.I)


def baseline(text: str) -> list[dict]:
    out = []
    for m in DOC_NUMBER.finditer(text):
        number = m.group(1)
        if LICENCE.search(number):
            continue
        letters, _ = register._letters(number)
        d = _NEAR_DATE.search(text, m.end(), m.end() + 40)
        out.append(
            {"number": number, "kind": register._BY_LETTERS.get(letters or ""), "date": iso(*d.groups()) if d else None}
        )
    return out


def ours(text: str) -> list[dict]:
    return [{"number": m.number, "kind": m.kind, "date": m.date} for m in register.extract(text) if not m.short]


def _text(row: dict) -> str:
    if "text" in row:
        return row["text"]
    return load_article(ROOT / row["file"], 10**8, 10**8).text


def score(rows: list[dict], extract) -> dict[str, dict[str, list[int]]]:
    """split → field → [true positives, predicted, expected]."""
    counts: dict[str, dict[str, list[int]]] = defaultdict(lambda: {f: [0, 0, 0] for f in FIELDS})
    for row in rows:
        c = counts[row["split"]]
        got, want = extract(_text(row)), list(row["mentions"])
        for f in FIELDS:
            c[f][1] += sum(1 for g in got if g[f])
            c[f][2] += sum(1 for w in want if w[f])
        free = list(want)
        for g in got:
            match = next((w for w in free if w["number"] == g["number"]), None)
            if match is None:
                continue
            free.remove(match)
            for f in FIELDS:
                if g[f] and g[f] == match[f]:
                    c[f][0] += 1
    return counts


def _pr(tp: int, pred: int, exp: int) -> tuple[float, float, float]:
    p = tp / pred if pred else 1.0
    r = tp / exp if exp else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main(paths: list[str]) -> None:
    rows = [
        json.loads(line) for p in paths for line in Path(p).read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    mine, base = score(rows, ours), score(rows, baseline)
    print("| split | field | labelled | precision | recall | F1 | baseline P | baseline R | F1 ratio |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for split in sorted(mine, key=lambda s: ("dev", "test", "seeds").index(s) if s in ("dev", "test", "seeds") else 9):
        for f in FIELDS:
            p, r, f1 = _pr(*mine[split][f])
            bp, br, bf1 = _pr(*base[split][f])
            ratio = f"{f1 / bf1:.2f}" if bf1 else "∞" if f1 else "–"
            print(
                f"| {split} | {f} | {mine[split][f][2]} | {p:.3f} | {r:.3f} | {f1:.3f} | {bp:.3f} | {br:.3f} | {ratio} |"
            )


if __name__ == "__main__":
    main(sys.argv[1:] or [str(ROOT / "eval" / "documents.jsonl"), str(ROOT / "eval" / "documents_seeds.jsonl")])
