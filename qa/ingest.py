"""Files → Articles: find the files, decode them, remove page clutter, read metadata."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from . import documents
from .clean import clean
from .config import Settings
from .decode import SUPPORTED_SUFFIXES as TEXT_SUFFIXES
from .decode import read_text, suffix_of
from .errors import InputError, QAError
from .metadata import extract
from .records import Article
from .text import printable

SUPPORTED_SUFFIXES = TEXT_SUFFIXES + documents.SUFFIXES  # every kind of file ingest reads


@dataclass(frozen=True)
class Refusal:
    """A file that was not ingested, and why (one sentence; `vi`: the Vietnamese reason, where given)."""

    file: str
    reason: str
    vi: str = ""  # the same in Vietnamese, when the refusal has it (the page says it)

    @classmethod
    def of(cls, file: str, exc: QAError) -> Refusal:
        """The refusal an error gives; its Vietnamese only when it has its own (an error without one
        repeats the English, which the page then translates by its reasons table)."""
        return cls(file, str(exc), exc.vi if exc.vi != str(exc) else "")


ARTICLE_ID = re.compile(r"[0-9a-f]{16}")  # what article_id gives


def article_id(text: str) -> str:
    """Stable id from the cleaned content: the same article under two names is one article."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _real(path: Path) -> Path | None:
    """Where a path finally points, or None for a dangling link or a loop of links."""
    try:
        return Path(os.path.realpath(path, strict=True))
    except (OSError, RuntimeError):
        return None


def _hidden(name: str) -> bool:
    return name.startswith(".")


def discover(paths: list[Path]) -> tuple[list[Path], list[Refusal]]:
    """Expand folders recursively into their supported files.

    A file named on the command line is taken as given. Inside a folder: hidden folders (`.git`,
    `.cache`) are not searched; a hidden file of a supported type (`.draft.txt`, `..txt`) is
    refused with a line, so that nothing is skipped silently; a link leaving the folder is refused;
    a dangling link or a loop of links is passed on and refused when it is read."""
    found: list[Path] = []
    refused: list[Refusal] = []
    for path in paths:
        if path.is_dir():
            root = _real(path) or path
            for p in sorted(path.rglob("*")):
                parts = p.relative_to(path).parts
                if any(_hidden(part) for part in parts[:-1]) or p.is_dir():
                    continue
                if suffix_of(p) not in SUPPORTED_SUFFIXES:
                    continue
                if _hidden(p.name):
                    refused.append(Refusal(str(p), f"{p.name}: a hidden file (its name starts with a dot) is not "
                                                   "ingested from a folder; rename it, or name it on the command line."))
                    continue
                target = _real(p) if p.is_symlink() else None
                if target is not None and not target.is_relative_to(root):
                    refused.append(Refusal(str(p), f"{p.name}: a link pointing outside {path}/ is not followed."))
                    continue
                found.append(p)
        elif os.path.lexists(path):
            if suffix_of(path) not in SUPPORTED_SUFFIXES:
                refused.append(Refusal(str(path), f"{path.name}: unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})."))
            else:
                found.append(path)
        else:
            refused.append(Refusal(str(path), f"{path}: no such file or folder."))
    return found, refused


RAW_CHARS_FACTOR = 2  # text this many times over the article limit is refused before cleaning


def load_article(path: Path, max_bytes: int, max_chars: int = Settings.max_article_chars,
                 settings: Settings | None = None) -> Article:
    """Read, clean and describe one file; InputError if it cannot be used.

    An article's text is limited to `max_chars` characters once cleaned (embedding is the slow
    stage, about 600 characters per passage); text more than RAW_CHARS_FACTOR times over it is
    refused before cleaning, so the time spent on a file stays bounded whatever its shape.
    PDF, DOCX and image files are read by qa.documents under the limits of `settings`."""
    if suffix_of(path) in documents.SUFFIXES:
        return load_document(path, settings or Settings(), max_chars)
    return article_from_raw(read_text(path, max_bytes), path.name, max_chars)


def article_from_raw(raw: str, name: str, max_chars: int = Settings.max_article_chars,
                     file: str | None = None) -> Article:
    """The article of a text as qa.decode reads it (named `name` in refusals; `file` is what the
    index shows, the name by default)."""
    if len(raw) > RAW_CHARS_FACTOR * max_chars:
        raise InputError(_too_long(name, len(raw), max_chars))
    text = clean(raw)
    if len(text.strip()) < 20:
        raise InputError(f"{name}: no article text is left after removing page clutter.")
    if len(text) > max_chars:
        raise InputError(_too_long(name, len(text), max_chars))
    name = printable(name)
    return Article(article_id(text), printable(file) if file else name, text, extract(raw, text, name))


def load_document(path: Path, settings: Settings, max_chars: int) -> Article:
    """A PDF, DOCX or image file as an article: each page cleaned on its own and the pages joined
    by a blank line; the metadata's `pages` holds where each page starts in the text (so a
    citation's page follows from its start) and `ocr_pages` the pages read by OCR."""
    pages = documents.read_pages(path, documents.Limits.from_settings(settings, RAW_CHARS_FACTOR * max_chars))
    raw = "\n\n".join(p.text for p in pages)
    if len(raw) > RAW_CHARS_FACTOR * max_chars:
        raise InputError(_too_long(path, len(raw), max_chars))
    text, starts = "", []
    for page in pages:
        body = clean(page.text).strip() if page.text.strip() else ""
        if body and text:
            text += "\n\n"
        starts.append(len(text))
        text += body
    if len(text.strip()) < 20:
        raise InputError(f"{path.name}: no article text is left after removing page clutter.")
    if len(text) > max_chars:
        raise InputError(_too_long(path, len(text), max_chars))
    name = printable(path.name)
    paged = suffix_of(path) not in documents.DOCX_SUFFIXES
    meta = replace(extract(raw, text, name), pages=tuple(starts) if paged else (),
                   ocr_pages=tuple(i for i, p in enumerate(pages, start=1) if p.ocr))
    return Article(article_id(text), name, text, meta)


def path_key(path: Path) -> str:
    """The resolved path the index records for a file: valid UTF-8 even when the file system's
    name is not (undecodable bytes written as \\xNN), so SQLite and JSON can hold it."""
    return os.fsencode(os.path.realpath(path)).decode("utf-8", "backslashreplace")


def _too_long(name: str, chars: int, max_chars: int) -> str:
    return (f"{name}: the text is too long for one article ({chars:,} characters; the limit is "
            f"{max_chars:,}, QA_MAX_ARTICLE_CHARS); split it into several articles.")
