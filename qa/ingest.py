"""Files → Articles: find the files, decode them, remove page clutter, read metadata."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .clean import clean
from .decode import SUPPORTED_SUFFIXES, read_text
from .errors import InputError
from .metadata import extract
from .records import Article


@dataclass(frozen=True)
class Refusal:
    """A file that was not ingested, and why (one sentence)."""

    file: str
    reason: str


def article_id(text: str) -> str:
    """Stable id from the cleaned content: the same article under two names is one article."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def discover(paths: list[Path]) -> tuple[list[Path], list[Refusal]]:
    """Expand folders (recursively, supported types only, no hidden files); links leaving a folder are skipped."""
    found: list[Path] = []
    refused: list[Refusal] = []
    for path in paths:
        if path.is_dir():
            root = path.resolve()
            for p in sorted(path.rglob("*")):
                if any(part.startswith(".") for part in p.relative_to(path).parts) or p.is_dir():
                    continue
                if p.suffix.lower() not in SUPPORTED_SUFFIXES:
                    continue
                if p.is_symlink() and not p.resolve().is_relative_to(root):
                    refused.append(Refusal(str(p), f"{p.name}: a link pointing outside {path}/ is not followed."))
                    continue
                found.append(p)
        elif path.exists():
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                refused.append(Refusal(str(path), f"{path.name}: unsupported file type (use {', '.join(SUPPORTED_SUFFIXES)})."))
            else:
                found.append(path)
        else:
            refused.append(Refusal(str(path), f"{path}: no such file or folder."))
    return found, refused


def load_article(path: Path, max_bytes: int) -> Article:
    """Read, clean and describe one file; InputError if it cannot be used."""
    raw = read_text(path, max_bytes)
    text = clean(raw)
    if len(text.strip()) < 20:
        raise InputError(f"{path.name}: no article text is left after removing page clutter.")
    return Article(article_id(text), path.name, text, extract(raw, text, path.name))
