"""Fetching for `qa ingest https://…`: trafilatura.fetch_url against ours (qa.sources.web.Fetcher), on the
local test site of tests/test_web.py (127.0.0.1, nothing leaves the machine).

Prints one markdown table: for each case, what each fetcher returned (or the reason it gave) and the
seconds it took. Both may fetch private addresses here (trafilatura: SSRF_PROTECTION off; ours:
QA_FETCH_ALLOW_PRIVATE=1), except in the "loopback" row, where both keep their default.

Usage:  python benchmarks/fetchers.py
"""

from __future__ import annotations

import sys
import time
from configparser import ConfigParser
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_web import Site  # noqa: E402

from qa.config import Settings  # noqa: E402
from qa.sources.web import Fetcher, FetchError  # noqa: E402


def trafilatura_config(ssrf: bool) -> ConfigParser:
    from trafilatura.settings import DEFAULT_CONFIG

    config = ConfigParser()
    config.read_dict({s: dict(DEFAULT_CONFIG[s]) for s in DEFAULT_CONFIG})
    config["DEFAULT"]["SSRF_PROTECTION"] = "on" if ssrf else "off"
    config["DEFAULT"]["DOWNLOAD_TIMEOUT"] = "3"
    config["DEFAULT"]["MAX_FILE_SIZE"] = str(1024 * 1024)
    return config


def run_trafilatura(url: str, ssrf: bool) -> tuple[str, float]:
    """trafilatura has no conditional GET: the ETag row downloads the page again."""
    import trafilatura

    started = time.monotonic()
    page = trafilatura.fetch_url(url, config=trafilatura_config(ssrf))
    took = time.monotonic() - started
    return ("None (no reason given)" if page is None else f"{len(page):,} characters"), took


def run_ours(fetcher: Fetcher, url: str, etag: str | None = None) -> tuple[str, float]:
    started = time.monotonic()
    try:
        r = fetcher.get(url, etag=etag)
        out = f"{r.status}, {len(r.body):,} bytes"
    except FetchError as exc:
        out = str(exc).split(": ", 1)[1]
    return out, time.monotonic() - started


def main() -> None:
    import logging

    logging.disable(logging.CRITICAL)
    site = Site()
    base = Settings.from_env(embedder="hash")
    settings = replace(base, fetch_allow_private=1, fetch_delay=0.0, fetch_timeout=3.0, fetch_max_mb=1.0)
    page = site.url + "/bai/0.html"
    probe = Fetcher(settings)
    etag = probe.get(page).etag
    probe.close()
    cases = [
        ("a saved page", page, True, None),
        ("the same page again, with its ETag", page, True, etag),
        ("a redirect loop", site.url + "/loop/a", True, None),
        ("a server that never answers (8 s; limit 3 s)", site.url + "/slow", True, None),
        ("an endless body (limit 1 MB)", site.url + "/endless", True, None),
        ("a page robots.txt forbids", site.url + "/private/secret.html", True, None),
        ("loopback, default settings", page, False, None),
    ]
    print("| case | trafilatura.fetch_url | s | ours (httpx) | s |")
    print("|---|---|---:|---|---:|")
    for name, url, allow, tag in cases:
        t_out, t_s = run_trafilatura(url, ssrf=not allow)
        fetcher = Fetcher(settings if allow else replace(settings, fetch_allow_private=0))
        o_out, o_s = run_ours(fetcher, url, tag)
        fetcher.close()
        print(f"| {name} | {t_out} | {t_s:.2f} | {o_out} | {o_s:.2f} |")
    site.stop()


if __name__ == "__main__":
    main()
