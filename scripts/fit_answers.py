"""Fit the answer weights (qa/answer/weights.json) on one half of the visible QA data; report on the other.

Data: eval/xquad_vi (Vietnamese questions) and eval/xquad_en_vi (the same questions in English) over
the same 240 Vietnamese passages, CC BY-SA 4.0. The passages are split by their Wikipedia article
(title) into a fitting half A and a report half B, so no article is seen by both. In each half
every other passage is indexed and the questions about all of its passages are asked: those about
an indexed passage are answerable, the others are the negatives users meet (same topic, not in
the index).

On A:
1. sentence selection: every candidate sentence of the top passages gets its features, the e5
   similarity included; a listwise (softmax) linear model is fitted with and without the dense
   feature ("full" ranks the embedded few, "cheap" picks them);
2. the "not found" gate: every question is asked with the new sentence weights and the gate's
   features are observed, with the project's own seed questions and unanswerable questions
   (alternate lines; eval/seed_*.jsonl) weighing as much as the encyclopedia set; a logistic
   regression predicts a correct (strict-hit) answer, and the threshold maximises correct answers
   minus --wrong-cost × wrong ones.
On B and the other half of the seed sets: the same protocol with the fitted weights, and a
trade-off table of thresholds.

    python scripts/fit_answers.py                 # fit, write qa/answer/weights.json, print the report
    python scripts/fit_answers.py --limit 40 --out /tmp/w.json   # a small run (the test does this)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa import evaluate, pipeline  # noqa: E402
from qa.answer import assemble, select  # noqa: E402
from qa.config import Settings  # noqa: E402
from qa.embed import load_embedder  # noqa: E402
from qa.evaluate import Case, corpus_articles, judge  # noqa: E402
from qa.pipeline import Assistant, add_articles, open_writer  # noqa: E402

GROUPS = {"vi": ROOT / "eval" / "xquad_vi", "en": ROOT / "eval" / "xquad_en_vi"}
SEEDS = ROOT / "seeds"
SEED_SETS = (ROOT / "eval" / "seed_questions.jsonl", ROOT / "eval" / "seed_negatives.jsonl")


def seed_cases() -> dict[str, list[tuple[Case, str]]]:
    """The project's own seed questions and unanswerable questions, alternately into A and B."""
    out: dict[str, list] = {"A": [], "B": []}
    for path in SEED_SETS:
        for i, case in enumerate(evaluate.seed_cases(path)):
            out["AB"[i % 2]].append((case, "en" if case.lang == "en" else "vi"))
    return out


def split_of(title: str) -> str:
    """A or B, by a hash of the article title (stable across machines and runs)."""
    return "AB"[hashlib.sha256(title.encode()).digest()[0] % 2]


def load(limit: int | None):
    """Passages by split, and per split the (case, group) list with each case's answerability."""
    articles, _ = corpus_articles(GROUPS["vi"])
    by_split: dict[str, list] = {"A": [], "B": []}
    for art in articles:
        by_split[split_of(art.meta.title)].append(art)
    indexed = {s: {a.id for a in arts[::2]} for s, arts in by_split.items()}
    split_of_article = {a.id: s for s, arts in by_split.items() for a in arts}
    cases: dict[str, list[tuple[Case, str]]] = {"A": [], "B": []}
    for group, folder in GROUPS.items():
        _, qs = corpus_articles(folder)
        for c in qs:
            s = split_of_article[c.gold_ids[0]]
            cases[s].append((replace(c, lang=group, answerable=c.gold_ids[0] in indexed[s]), group))
    rng = np.random.default_rng(0)
    for s in cases:
        if limit and len(cases[s]) > limit:
            pick = sorted(rng.choice(len(cases[s]), size=limit, replace=False))
            cases[s] = [cases[s][i] for i in pick]
    return by_split, indexed, cases


def build_index(folder: str, articles, embedder, settings: Settings) -> Settings:
    s = replace(settings, index_dir=folder)
    with open_writer(s, embedder, rebuild=True) as writer:
        add_articles(writer, articles, embedder, s)
        writer.commit()
    return s


def prepared(assistant: Assistant, cases):
    """(case, group, asked, prepared) for each answerable case: searched, with candidate sentences."""
    for case, group in cases:
        if case.answerable:
            a = assistant.prepare(case.question, 10)
            yield case, group, a, assemble.prepare(a.resolved, a.query.english, a.terms, a.hits, a.articles, a.k)


def sentence_data(assistant: Assistant, cases) -> dict[str, list[tuple[np.ndarray, np.ndarray]]]:
    """Per group, for each answerable question whose candidates hold the answer: (features, labels)."""
    out: dict[str, list] = {"vi": [], "en": []}
    for case, group, a, p in prepared(assistant, cases):
        if not p.candidates:
            continue
        sims = a.rescore([c.text for c in p.candidates])
        at = select.FEATURES.index("dense")
        feats = np.array([c.features for c in p.candidates], dtype=np.float64)
        feats[:, at] = sims - sims.max()
        labels = np.array([any(ans in c.text for ans in case.answers) for c in p.candidates], dtype=bool)
        if labels.any():
            out[group].append((feats, labels))
    return out


def fit_listwise(data, mask: np.ndarray, l2: float = 1e-2) -> np.ndarray:
    """Weights maximising the softmax probability of the sentences that hold the answer, fitted on
    standardised features (so the L2 penalty treats every feature alike) and returned for raw ones."""
    from scipy.optimize import minimize

    scale = np.concatenate([x for x, _ in data]).std(axis=0) if data else np.ones(len(mask))
    scale[scale == 0] = 1.0
    data = [(x / scale, y) for x, y in data]

    def loss(w):
        total, grad = 0.0, np.zeros_like(w)
        for x, y in data:
            x = x * mask
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            zp = z[y]
            q = np.exp(zp - zp.max())
            q /= q.sum()
            total += (np.log(np.exp(z - z.max()).sum()) + z.max()) - (np.log(np.exp(zp - zp.max()).sum()) + zp.max())
            grad += p @ x - q @ x[y]
        n = max(len(data), 1)
        return total / n + l2 * w @ w, grad / n + 2 * l2 * w

    w0 = np.zeros(len(select.FEATURES))
    w0[select.FEATURES.index("overlap")] = 1.0
    return minimize(loss, w0, jac=True, method="L-BFGS-B").x * mask / scale


def fit_pair_margin(assistant: Assistant, cases, sentence: dict, max_pairs: float) -> dict[str, float]:
    """Per group, the largest margin (from a grid) at which at most `max_pairs` of the answers quote
    two adjacent sentences instead of one; reports the strict hit at each margin."""
    grid = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)
    seen: dict[str, list] = {"vi": [], "en": []}
    for case, group, a, p in prepared(assistant, cases):
        ranked = select.rank(p.candidates, {k: np.asarray(v) for k, v in sentence[group].items()}, group, a.rescore)
        if ranked:
            seen[group].append((ranked, case.answers))
    chosen = {}
    for group, rows in seen.items():
        chosen[group] = 0.0
        for m in grid:
            pairs = hit = 0
            for ranked, answers in rows:
                quoted = [ranked[0], *assemble.neighbour(ranked, m)]
                pairs += len(quoted) > 1
                hit += any(ans in c.text for c in quoted for ans in answers)
            share = pairs / max(len(rows), 1)
            print(f"pair margin {group} {m:.2f}: two-sentence answers {100 * share:.1f} %, "
                  f"strict hit {100 * hit / max(len(rows), 1):.1f} % of {len(rows)}")
            if share <= max_pairs:
                chosen[group] = m
    return chosen


def ask_all(assistant: Assistant, cases):
    """Each case asked with the gate open: (case, group, result, gate features or None)."""
    rows = []
    for case, group in cases:
        seen = []
        t0 = time.perf_counter()
        answer = assistant.ask(case.question, 10, observe=seen.append)
        result = judge(case, answer)
        result.seconds = time.perf_counter() - t0
        rows.append((case, group, result, seen[0].features if seen else None))
    return rows


def fit_gate(rows, group: str, wrong_cost: float, c: float = 0.1) -> dict:
    """Logistic regression of a correct answer on the gate features, the news seeds weighing as much
    as the encyclopedia set, each weight held to its feature's sign (assemble.GATE_FEATURES) and
    L2-penalised (`c` as in scikit-learn's C) on standardised features; the threshold maximises correct
    answers minus `wrong_cost` × wrong ones."""
    from scipy.optimize import minimize

    xs = [(f, bool(r.answer_hit) and case.answerable, case.gold_file is not None) for case, g, r, f in rows
          if g == group and f is not None]
    x = np.array([f[:-1] for f, _, _ in xs])
    y = np.array([ok for _, ok, _ in xs], dtype=np.float64)
    seed = np.array([s for _, _, s in xs])
    weight = np.where(seed, (~seed).sum() / max(seed.sum(), 1), 1.0)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z, n = (x - mean) / scale, weight.sum()

    def loss(b):
        t = z @ b[:-1] + b[-1]
        g = weight * (1.0 / (1.0 + np.exp(-t)) - y)
        value = (weight * (np.logaddexp(0.0, t) - y * t)).sum() / n + b[:-1] @ b[:-1] / (2 * c * n)
        return value, np.append(z.T @ g / n + b[:-1] / (c * n), g.sum() / n)

    signs = list(assemble.GATE_FEATURES.values())[:-1]  # the last is the bias
    bounds = [(0, None) if s > 0 else (None, 0) if s < 0 else (None, None) for s in signs] + [(None, None)]
    b = minimize(loss, np.zeros(len(signs) + 1), jac=True, method="L-BFGS-B", bounds=bounds).x
    coef = b[:-1] / scale  # back to raw features
    weights = [*map(float, coef), float(b[-1] - coef @ mean)]
    gate = {"weights": weights, "threshold": 0.5}
    probs = np.array([assemble.gate_probability(gate, f) for f, _, _ in xs])
    gain = [(float((weight * (probs >= t) * np.where(y > 0, 1.0, -wrong_cost)).sum()), -t) for t in np.arange(0, 1, 0.01)]
    gate["threshold"] = round(-max(gain)[1], 2)
    return gate


def report(rows, gate: dict, groups=("vi", "en"), thresholds=None) -> list[str]:
    """Per group: answer-hit (answerable), answered, wrong among answered, refused, at the fitted
    threshold and, with `thresholds`, at each of those."""
    lines = ["| group | threshold | answerable | unanswerable | answered (of answerable) | answer-hit (of answerable) "
             "| wrong of answered | refused (of unanswerable) |", "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for group in groups:
        mine = [r for r in rows if r[1] == group]
        for t in thresholds or [gate[group]["threshold"]]:
            pos = [r for r in mine if r[0].answerable]
            neg = [r for r in mine if not r[0].answerable]

            def given(r, g=gate[group], t=t):
                return r[3] is not None and assemble.gate_probability(g, r[3]) >= t

            answered_pos = [r for r in pos if given(r)]
            hits = [r for r in answered_pos if r[2].answer_hit]
            answered_neg = [r for r in neg if given(r)]
            answered = len(answered_pos) + len(answered_neg)
            wrong = len(answered_pos) - len(hits) + len(answered_neg)
            lines.append(f"| {group} | {t:.2f} | {len(pos)} | {len(neg)} | {100 * len(answered_pos) / max(len(pos), 1):.1f} "
                         f"| {100 * len(hits) / max(len(pos), 1):.1f} | {100 * wrong / max(answered, 1):.1f} "
                         f"| {100 * (len(neg) - len(answered_neg)) / max(len(neg), 1):.1f} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=select.WEIGHTS_FILE)
    ap.add_argument("--limit", type=int, default=None, help="questions per split (a quick run)")
    ap.add_argument("--wrong-cost", type=float, default=1.5, help="a wrong answer costs this many refusals")
    ap.add_argument("--max-pairs", type=float, default=0.25, help="share of answers that may quote two sentences")
    args = ap.parse_args()
    settings = Settings.from_env()
    embedder = load_embedder(settings)
    if args.out.resolve() != select.WEIGHTS_FILE.resolve():  # start from the current weights
        args.out.write_text(select.WEIGHTS_FILE.read_text(encoding="utf-8"), encoding="utf-8")
    by_split, _, cases = load(args.limit)
    fitted: dict = {"features": list(select.FEATURES), "sentence": {}, "gate": {}}
    with tempfile.TemporaryDirectory(prefix="qa-fit-") as tmp:
        indexes = {s: build_index(f"{tmp}/{s}", arts[::2], embedder, settings) for s, arts in by_split.items()}
        open_gate = {"min_confidence": 0.0, "answer_weights": str(args.out)}
        fit_assistant = Assistant(replace(indexes["A"], **open_gate), embedder)
        t0 = time.perf_counter()
        data = sentence_data(fit_assistant, cases["A"])
        cheap_mask = np.ones(len(select.FEATURES))
        cheap_mask[select.FEATURES.index("dense")] = 0.0
        for group in ("vi", "en"):
            fitted["sentence"][group] = {"cheap": fit_listwise(data[group], cheap_mask).round(4).tolist(),
                                         "full": fit_listwise(data[group], np.ones(len(select.FEATURES))).round(4).tolist()}
        print(f"sentence weights fitted on {sum(map(len, data.values()))} questions in {time.perf_counter() - t0:.0f} s")
        for group, m in fit_pair_margin(fit_assistant, cases["A"], fitted["sentence"], args.max_pairs).items():
            fitted["sentence"][group]["pair_margin"] = m
        current = json.loads(select.WEIGHTS_FILE.read_text(encoding="utf-8"))  # the gate until it is refitted
        blank = {"weights": [0.0] * len(assemble.GATE_FEATURES), "threshold": 0.5}  # when the features changed
        fitted["gate"] = {"features": list(assemble.GATE_FEATURES),
                          **{g: current["gate"][g] if current["gate"].get("features") == list(assemble.GATE_FEATURES)
                             else blank for g in ("vi", "en")}}
        _write(args.out, fitted)
        rows_a = ask_all(fit_assistant, cases["A"])
        seeds = replace(settings, index_dir=f"{tmp}/seeds", **open_gate)
        pipeline.ingest([SEEDS], seeds, embedder=embedder)
        seed_assistant = Assistant(seeds, embedder)
        seed_rows = {s: ask_all(seed_assistant, c) for s, c in seed_cases().items()}
        for group in ("vi", "en"):
            fitted["gate"][group] = fit_gate(rows_a + seed_rows["A"], group, args.wrong_cost)
        fitted["fitted"] = {"on": "split A of eval/xquad_vi + eval/xquad_en_vi (half of its passages indexed)",
                            "questions": {"A": len(cases["A"]), "B": len(cases["B"])}, "wrong_cost": args.wrong_cost,
                            "max_pairs": args.max_pairs}
        _write(args.out, fitted)
        rows_b = ask_all(Assistant(replace(indexes["B"], **open_gate), embedder), cases["B"])
    print("\n## Fitted on A (half of its passages indexed)\n")
    print("\n".join(report(rows_a, fitted["gate"])))
    print("\n## Reported on B (half of its passages indexed)\n")
    print("\n".join(report(rows_b, fitted["gate"])))
    print("\n## Seeds, the half not fitted on (seed_questions + seed_negatives, odd lines)\n")
    print("\n".join(report(seed_rows["B"], fitted["gate"])))
    print("\n## Trade-off on B (share answered vs share wrong among answers)\n")
    print("\n".join(report(rows_b, fitted["gate"], thresholds=[0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8])))
    print(f"\nweights written to {args.out}")


def _write(path: Path, fitted: dict) -> None:
    path.write_text(json.dumps(fitted, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    select.load_weights.cache_clear()  # the product reads the file anew


if __name__ == "__main__":
    main()
