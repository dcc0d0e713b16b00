"""Text of a scanned page, read by Tesseract (Debian's `tesseract-ocr` with `tesseract-ocr-vie`).

Tesseract is called as a subprocess, the image sent on its standard input as PNG and the text read
from its standard output: no temporary files, a hard timeout (the process is killed when it runs
over), one thread per call (OMP_THREAD_LIMIT=1; the machine's other cores stay for embedding), and
no Python wrapper to install (pytesseract does the same with temporary files and adds a dependency).
"""

from __future__ import annotations

import io
import logging
import os
import shutil
import subprocess
from functools import lru_cache

from .errors import InputError

log = logging.getLogger(__name__)
INSTALL = "apt-get install tesseract-ocr tesseract-ocr-vie"


@lru_cache(maxsize=1)
def installed_languages() -> frozenset[str] | None:
    """The language models Tesseract has, or None when Tesseract is not installed."""
    exe = shutil.which("tesseract")
    if exe is None:
        return None
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("tesseract --list-langs failed: %s", exc)
        return None
    lines = (out.stdout + out.stderr).splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and " " not in line.strip())


def unavailable(languages: str) -> tuple[str, str] | None:
    """Why OCR in these languages ("vie", "vie+eng") cannot run, in English and Vietnamese; None when it can."""
    have = installed_languages()
    if have is None:
        return (
            f"OCR is not installed; install Tesseract and its Vietnamese model ({INSTALL}) to ingest scans",
            f"chưa cài đặt OCR; hãy cài Tesseract và mô hình tiếng Việt ({INSTALL}) để nạp bản quét",
        )
    missing = [lang for lang in languages.split("+") if lang not in have]
    if missing:
        return (
            f"Tesseract has no '{missing[0]}' language model; install it ({INSTALL}) to ingest scans",
            f"Tesseract chưa có mô hình ngôn ngữ '{missing[0]}'; hãy cài ({INSTALL}) để nạp bản quét",
        )
    return None


def recognise(image, name: str, where: str, languages: str, timeout: float, dpi: float | None = None) -> str:
    """The text Tesseract reads on a PIL image (sent in greyscale, with its resolution when known:
    scaling a 150 dpi page up to 300 first made the error rate worse, benchmarks/ocr.py);
    InputError (one sentence naming the file and `where`, e.g. "page 3") when it fails or runs
    over `timeout` seconds."""
    buf = io.BytesIO()
    image.convert("L").save(buf, format="PNG")
    cmd = [shutil.which("tesseract") or "tesseract", "stdin", "stdout", "-l", languages, "--psm", "3"]
    if dpi:
        cmd += ["--dpi", str(round(dpi))]
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        out = subprocess.run(cmd, input=buf.getvalue(), capture_output=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise InputError(
            f"{name}: OCR of {where} took longer than {timeout:g} s (QA_OCR_TIMEOUT_S); "
            "scan it at a lower resolution or split the file.",
            f"nhận dạng chữ (OCR) {_vi(where)} quá {timeout:g} giây; hãy quét với độ phân giải thấp hơn hoặc tách tệp",
        ) from None
    except OSError as exc:
        raise InputError(
            f"{name}: Tesseract could not be started ({exc.strerror or exc}).",
            "không chạy được Tesseract để nhận dạng chữ",
        ) from None
    if out.returncode != 0:
        log.warning("tesseract failed on %s %s: %s", name, where, out.stderr.decode("utf-8", "replace")[-500:])
        raise InputError(
            f"{name}: OCR failed on {where} (Tesseract exit status {out.returncode}).",
            f"nhận dạng chữ (OCR) thất bại ở {_vi(where)}",
        )
    return out.stdout.decode("utf-8", "replace")


def _vi(where: str) -> str:
    return where.replace("page", "trang").replace("the image", "ảnh")
