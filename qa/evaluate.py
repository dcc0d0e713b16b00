"""`qa eval`: passage recall, MRR and answer-hit on question sets, per language group."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from .config import Settings
from .errors import InputError
from .records import Answer, Article, Metadata

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
    answer_contains: tuple[str, ...] = ()


@dataclass
class Result:
    case: Case
    rank: int  # 1-based rank of the first gold citation, 0 = not in the top K_MAX
    answer_hit: bool | None
    seconds: float


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
        n = len(results) or 1
        answered = [r for r in results if r.answer_hit is not None]
        lat = sorted(r.seconds * 1000 for r in results) or [0.0]
        return {
            "n": len(results),
            "R@1": 100 * sum(0 < r.rank <= 1 for r in results) / n,
            "R@5": 100 * sum(0 < r.rank <= 5 for r in results) / n,
            "R@10": 100 * sum(0 < r.rank <= 10 for r in results) / n,
            "MRR@10": 100 * sum(1 / r.rank for r in results if r.rank) / n,
            "answer_hit": 100 * sum(r.answer_hit for r in answered) / len(answered) if answered else None,
            "p50_ms": statistics.median(lat),
            "p95_ms": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
        }

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "groups": {g: self.metrics(rs) for g, rs in self.groups().items()},
            "misses": [{"id": r.case.id, "question": r.case.question, "lang": r.case.lang, "rank": r.rank,
                        "answer_hit": r.answer_hit} for r in self.results if r.rank != 1 or r.answer_hit is False],
        }

    def table(self) -> str:
        lines = [f"## {self.name}", "", "| group | n | R@1 | R@5 | R@10 | MRR@10 | answer-hit | p50 ms | p95 ms |",
                 "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for g, rs in self.groups().items():
            m = self.metrics(rs)
            ah = "—" if m["answer_hit"] is None else f"{m['answer_hit']:.1f}"
            lines.append(f"| {g} | {m['n']} | {m['R@1']:.1f} | {m['R@5']:.1f} | {m['R@10']:.1f} | {m['MRR@10']:.1f} "
                         f"| {ah} | {m['p50_ms']:.0f} | {m['p95_ms']:.0f} |")
        misses = self.to_json()["misses"]
        if misses:
            lines += ["", "misses (rank of the gold passage, 0 = not in the top 10):"]
            lines += [f"- {m['id']} [{m['lang']}] rank {m['rank']}, answer-hit {m['answer_hit']}: {m['question']}"
                      for m in misses]
        return "\n".join(lines)


def _read_jsonl(path: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable JSON-lines file ({exc.__class__.__name__}).") from exc


def seed_cases(path: Path) -> list[Case]:
    """Questions about already-ingested articles (fields: question, article, passage_contains, answer_contains)."""
    return [Case(r.get("id", str(i)), r["question"], r.get("lang", "vi"), gold_file=r["article"],
                 passage_contains=tuple(r.get("passage_contains", ())), answer_contains=tuple(r.get("answer_contains", ())))
            for i, r in enumerate(_read_jsonl(path))]


def corpus_articles(folder: Path) -> tuple[list[Article], list[Case]]:
    """A corpus-style folder: passages.jsonl (id, title, text) + questions.jsonl (id, question, passage_ids)."""
    from .ingest import article_id
    from .text import normalize

    articles, id_of = [], {}
    for row in _read_jsonl(folder / "passages.jsonl"):
        text = normalize(row["text"])
        art = Article(article_id(text), f"{row['id']}.txt", text, Metadata(title=normalize(row.get("title", ""))))
        articles.append(art)
        id_of[row["id"]] = art.id
    cases = [Case(str(r["id"]), r["question"], r.get("lang", "vi"), gold_ids=tuple(id_of[p] for p in r["passage_ids"]),
                  answer_contains=())
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
    rank = gold_rank(case, answer.citations)
    hit = None
    if case.answer_contains:
        top = answer.citations[0] if answer.citations else None
        context = answer.answer + ("\n" + "\n".join((top.text, top.title, top.province or "")) if top else "")
        hit = answer.found and all(s in context for s in case.answer_contains)
    return Result(case, rank, hit, 0.0)


def run(cases: list[Case], assistant, name: str, limit: int | None = None) -> Report:
    report = Report(name)
    assistant.reader()  # open the index before timing the first question
    for case in cases[:limit]:
        t0 = time.perf_counter()
        answer = assistant.ask(case.question, k=K_MAX)
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
