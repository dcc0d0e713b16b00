"""`qa eval`: passage recall, MRR and answer-hit on question sets, per language group."""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import Settings
from .errors import InputError
from .records import Answer, Article, Metadata
from .text import normalize

K_MAX = 10


@dataclass
class Case:
    """One question with what a hit must contain."""

    id: str
    question: str
    lang: str
    gold_file: str | None = None  # seed-style: the article's file name
    gold_ids: tuple[str, ...] = ()  # corpus-style: the gold article ids
    passage_contains: tuple[str, ...] = ()
    answer_contains: tuple[str, ...] = ()  # every one must be in the answer's own sentences
    answers: tuple[str, ...] = ()  # annotated short answers: any one counts
    answerable: bool = True
    history: tuple[str, ...] = ()


@dataclass
class Result:
    case: Case
    rank: int  # 1-based rank of the first gold citation, 0 = not in the top K_MAX
    found: bool
    answer_hit: bool | None  # strict: the annotated answer inside the answer's own sentences
    em: float | None
    f1: float | None
    seconds: float


def _norm(text: str) -> list[str]:
    """SQuAD-style answer normalisation: lower case, no punctuation, single spaces."""
    return re.sub(r"[^\w\s]", " ", normalize(text).lower()).split()


def exact_f1(prediction: str, golds: tuple[str, ...]) -> tuple[float, float]:
    """Best exact match and token F1 of a short answer against any gold answer."""
    pred = _norm(prediction)
    best_em = best_f1 = 0.0
    for gold in golds:
        ref = _norm(gold)
        best_em = max(best_em, float(pred == ref))
        common = sum((Counter(pred) & Counter(ref)).values())
        if common:
            precision, recall = common / len(pred), common / len(ref)
            best_f1 = max(best_f1, 2 * precision * recall / (precision + recall))
    return best_em, best_f1


def _pct(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


@dataclass
class Report:
    name: str
    results: list[Result] = field(default_factory=list)

    def groups(self) -> dict[str, list[Result]]:
        out: dict[str, list[Result]] = {"all": self.results}
        for r in self.results:
            out.setdefault(r.case.lang, []).append(r)
        return out

    def metrics(self, results: list[Result]) -> dict:
        pos = [r for r in results if r.case.answerable]
        neg = [r for r in results if not r.case.answerable]
        n = len(pos) or 1
        judged = [r for r in pos if r.answer_hit is not None]
        spans = [r for r in pos if r.em is not None]
        answered = [r for r in results if r.found]
        wrong = [r for r in answered if not r.case.answerable or r.answer_hit is False]
        lat = sorted(r.seconds * 1000 for r in results) or [0.0]
        return {
            "n": len(results),
            "R@1": 100 * sum(0 < r.rank <= 1 for r in pos) / n if pos else None,
            "R@5": 100 * sum(0 < r.rank <= 5 for r in pos) / n if pos else None,
            "R@10": 100 * sum(0 < r.rank <= 10 for r in pos) / n if pos else None,
            "MRR@10": 100 * sum(1 / r.rank for r in pos if r.rank) / n if pos else None,
            "answer_hit": _pct(sum(bool(r.answer_hit) for r in judged), len(judged)),
            "EM": 100 * sum(r.em for r in spans) / len(spans) if spans else None,
            "F1": 100 * sum(r.f1 for r in spans) / len(spans) if spans else None,
            "answered": _pct(sum(r.found for r in pos), len(pos)),
            "refused": _pct(sum(not r.found for r in neg), len(neg)),
            "wrong_of_answered": _pct(len(wrong), len(answered)) if judged or neg else None,
            "p50_ms": statistics.median(lat),
            "p95_ms": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
        }

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "groups": {g: self.metrics(rs) for g, rs in self.groups().items()},
            "misses": [{"id": r.case.id, "question": r.case.question, "lang": r.case.lang, "rank": r.rank,
                        "found": r.found, "answer_hit": r.answer_hit} for r in self.results
                       if (r.case.answerable and (r.rank != 1 or r.answer_hit is False)) or
                       (not r.case.answerable and r.found)],
        }

    _COLUMNS = ("n", "R@1", "R@5", "MRR@10", "answer_hit", "EM", "F1", "answered", "refused", "wrong_of_answered",
                "p50_ms", "p95_ms")

    def table(self, misses: int = 40) -> str:
        lines = [f"## {self.name}", "", "| group | " + " | ".join(self._COLUMNS) + " |",
                 "|---|" + "---:|" * len(self._COLUMNS)]
        for g, rs in self.groups().items():
            m = self.metrics(rs)
            cells = ["—" if m[c] is None else (str(m[c]) if c == "n" else f"{m[c]:.1f}") for c in self._COLUMNS]
            lines.append(f"| {g} | " + " | ".join(cells) + " |")
        found = self.to_json()["misses"]
        if found:
            lines += ["", f"misses ({len(found)}; rank of the gold passage, 0 = not in the top 10):"]
            lines += [f"- {m['id']} [{m['lang']}] rank {m['rank']}, found {m['found']}, answer-hit {m['answer_hit']}: "
                      f"{m['question']}" for m in found[:misses]]
        return "\n".join(lines)


def _read_jsonl(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable JSON-lines file ({exc.__class__.__name__}).") from exc


def seed_cases(path: Path) -> list[Case]:
    """Questions about already-ingested articles (fields: question, article, passage_contains,
    answer_contains, optional answers (the short answers, for EM/F1); `"answerable": false` for a question no article answers; optional history)."""
    return [Case(r.get("id", str(i)), r["question"], r.get("lang", "vi"), gold_file=r.get("article"),
                 passage_contains=tuple(r.get("passage_contains", ())), answer_contains=tuple(r.get("answer_contains", ())),
                 answers=tuple(normalize(a) for a in r.get("answers", ())),
                 answerable=bool(r.get("answerable", True)), history=tuple(r.get("history", ())))
            for i, r in enumerate(_read_jsonl(path))]


def corpus_articles(folder: Path) -> tuple[list[Article], list[Case]]:
    """A corpus-style folder: passages.jsonl (id, title, text) + questions.jsonl (id, question, answers,
    passage_ids, optional lang)."""
    from .ingest import article_id

    articles, id_of = [], {}
    for row in _read_jsonl(folder / "passages.jsonl"):
        text = normalize(row["text"])
        art = Article(article_id(text), f"{row['id']}.txt", text, Metadata(title=normalize(row.get("title", ""))))
        articles.append(art)
        id_of[row["id"]] = art.id
    cases = [Case(str(r["id"]), r["question"], r.get("lang", "vi"), gold_ids=tuple(id_of[p] for p in r["passage_ids"]),
                  answers=tuple(normalize(a) for a in r.get("answers", ())))
             for r in _read_jsonl(folder / "questions.jsonl")]
    return articles, cases


def gold_rank(case: Case, passages) -> int:
    """1-based rank of the first passage (objects with article_id, file, text) that is gold; 0 if none."""
    for n, p in enumerate(passages, start=1):
        gold = p.article_id in case.gold_ids if case.gold_ids else p.file == case.gold_file
        if gold and all(s in p.text for s in case.passage_contains):
            return n
    return 0


def judge(case: Case, answer: Answer) -> Result:
    """Rank of the gold passage; the strict answer-hit (the annotated answer inside the answer's own
    sentences or short answer, not in a citation's title or province); short-answer EM and F1."""
    rank = gold_rank(case, answer.citations or answer.related)  # retrieval is judged on what was found either way
    quoted = "\n".join([s.text for s in answer.sentences] + ([answer.short_answer.text] if answer.short_answer else []))
    hit = em = f1 = None
    if case.answerable and case.answer_contains:  # every one in the answer's own sentences
        hit = answer.found and all(s in quoted for s in case.answer_contains)
    elif case.answerable and case.answers:
        hit = answer.found and any(a in quoted for a in case.answers)
    if case.answerable and case.answers:
        em, f1 = exact_f1(answer.short_answer.text, case.answers) if answer.found and answer.short_answer else (0.0, 0.0)
    return Result(case, rank, answer.found, hit, em, f1, 0.0)


def run(cases: list[Case], assistant, name: str, limit: int | None = None) -> Report:
    report = Report(name)
    assistant.reader()  # open the index before timing the first question
    for case in cases[:limit]:
        t0 = time.perf_counter()
        answer = assistant.ask(case.question, k=K_MAX, history=case.history)
        result = judge(case, answer)
        result.seconds = time.perf_counter() - t0
        report.results.append(result)
    return report


def evaluate(path: Path, settings: Settings, limit: int | None = None, embedder=None) -> Report:
    """Evaluate a seed-style file against the configured index, or a corpus folder in a temporary index."""
    from .embed import load_embedder
    from .pipeline import Assistant, add_articles, open_writer

    embedder = embedder or load_embedder(settings)
    if path.is_dir():
        articles, cases = corpus_articles(path)
        with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
            tmp_settings = replace(settings, index_dir=tmp)
            with open_writer(tmp_settings, embedder, rebuild=True) as writer:
                add_articles(writer, articles, embedder, tmp_settings)
                writer.commit()
            return run(cases, Assistant(tmp_settings, embedder), path.name, limit)
    if not path.exists():
        raise InputError(f"{path}: no such question file or corpus folder.")
    return run(seed_cases(path), Assistant(settings, embedder), path.name, limit)
