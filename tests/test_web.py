"""Ingest by URL (qa/sources/web.py) against a real HTTP server on 127.0.0.1: saved pages (the seeds
as HTML), an RSS feed, an Atom feed, a sitemap index, robots.txt, and hostile endpoints (a redirect
loop, a server that never answers, an endless body, a feed of 100,000 entries). Nothing here
reaches the internet: every URL is on 127.0.0.1 or localhost."""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import SEEDS

from qa import pipeline
from qa.config import ConfigError, Settings
from qa.sources.web import is_public

QA = [sys.executable, "-m", "qa.cli"]
SEED_FILES = sorted(SEEDS.glob("*.txt"))
HUGE_FEED = 100_000


def seed_html(path: Path, extra: str = "") -> bytes:
    """A seed article saved as a news page: title, menu, article body, footer."""
    paras = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p)}</p>" for p in ([extra] if extra else []) + paras[1:])
    return (
        f'<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{html.escape(paras[0])}</title></head>'
        '<body><nav><a href="/">Trang chủ</a> | <a href="/thoi-su">Thời sự</a></nav>'
        f"<article><h1>{html.escape(paras[0])}</h1>{body}</article>"
        "<footer>Bản quyền thuộc về Báo điện tử. Giấy phép số 01/GP-BTTTT.</footer></body></html>"
    ).encode()


def generated_page(n: int) -> bytes:
    text = (
        f"Bản tin số {n}: Hội nghị tổng kết công tác năm của huyện {n}. Ủy ban nhân dân huyện đã báo cáo "
        f"kết quả thực hiện {n} chỉ tiêu kinh tế, xã hội và quốc phòng trong năm qua."
    )
    return (
        f"<html><head><title>Bản tin số {n}</title></head><body><article><p>{text}</p></article></body></html>".encode()
    )


class Site:
    """A news site on 127.0.0.1: pages with ETags (304 on If-None-Match), a feed, a sitemap,
    robots.txt, and the hostile endpoints. `log` lists (path, status) of every request."""

    def __init__(self):
        self.pages: dict[str, bytes] = {f"/bai/{i}.html": seed_html(p) for i, p in enumerate(SEED_FILES)}
        self.pages["/private/secret.html"] = generated_page(0)
        self.log: list[tuple[str, int]] = []
        self.agents: set[str] = set()
        self.arrived: list[str] = []  # every request's path, as it arrives (`log` has it once answered)
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8", **headers):
                site.log.append((self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k.replace("_", "-"), v)
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:  # the client gave up (a timeout under test)
                    pass

            def do_GET(self):  # noqa: N802 - http.server's name
                site.agents.add(self.headers.get("User-Agent", ""))
                site.arrived.append(self.path)
                path, base = self.path, f"http://{self.headers['Host']}"
                if path in site.pages:
                    body = site.pages[path]
                    etag = '"' + hashlib.sha1(body).hexdigest() + '"'
                    if self.headers.get("If-None-Match") == etag:
                        return self.send(304, ETag=etag)
                    return self.send(200, body, ETag=etag)
                if path == "/robots.txt":
                    return self.send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
                if path == "/feed.rss":
                    items = "".join(
                        f"<item><title>Bài {p}</title><link>{base}{p}</link></item>" for p in sorted(site.pages)
                    )
                    rss = (
                        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Tin</title>'
                        f"<link>{base}/</link>{items}</channel></rss>"
                    )
                    return self.send(200, rss.encode(), "application/rss+xml")
                if path == "/atom.xml":
                    entries = "".join(
                        f'<entry><title>Bài</title><link rel="alternate" href="{p}"/></entry>'
                        for p in ("/bai/0.html", "/bai/1.html")
                    )
                    atom = (
                        f'<feed xmlns="http://www.w3.org/2005/Atom"><link rel="self" href="{base}/atom.xml"/>'
                        f"{entries}</feed>"
                    )
                    return self.send(200, atom.encode(), "text/xml")
                if path == "/sitemap.xml":
                    index = (
                        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                        f"<sitemap><loc>{base}/sitemap-bai.xml</loc></sitemap></sitemapindex>"
                    )
                    return self.send(200, index.encode(), "application/xml")
                if path == "/sitemap-bai.xml":
                    urls = "".join(f"<url><loc>{base}/bai/{i}.html</loc></url>" for i in (2, 3, 4))
                    return self.send(
                        200,
                        (
                            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/'
                            f'sitemap/0.9">{urls}</urlset>'
                        ).encode(),
                        "application/xml",
                    )
                if path == "/sitemap-bai.xml.gz":  # a gzip file (not a Content-Encoding)
                    urls = "".join(f"<url><loc>{base}/bai/{i}.html</loc></url>" for i in (0, 1))
                    xml = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
                    return self.send(200, gzip.compress(xml.encode()), "application/gzip")
                if path == "/bomb.xml.gz":  # 50 MB of spaces in 50 KB
                    return self.send(200, gzip.compress(b"<urlset>" + b" " * 50_000_000), "application/gzip")
                if path == "/slow.rss":
                    items = "".join(f"<item><link>{base}/slow?n={n}</link></item>" for n in range(4))
                    return self.send(200, f"<rss><channel>{items}</channel></rss>".encode(), "application/rss+xml")
                if path == "/huge.rss":
                    return self.send(200, site.huge_feed(base), "application/rss+xml")
                if path.startswith("/gen/"):
                    return self.send(200, generated_page(int(path[5:].split(".")[0])))
                if path in ("/loop/a", "/loop/b"):
                    return self.send(302, Location="/loop/b" if path == "/loop/a" else "/loop/a")
                if path == "/to-localhost":  # the same server under another name, which is not allowed
                    return self.send(302, Location=base.replace("127.0.0.1", "localhost") + "/bai/0.html")
                if path.split("?")[0] == "/slow":
                    time.sleep(8)
                    return self.send(200, generated_page(1))
                if path == "/big":  # says its size up front
                    return self.send(200, b"<p>" + b"x" * 300_000 + b"</p>")
                if path == "/endless":  # no Content-Length, never ends
                    site.log.append((path, 200))
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    try:
                        while True:
                            self.wfile.write(b"<p>" + b"tin " * 4096 + b"</p>")
                    except OSError:
                        return
                return self.send(404, b"not found")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._huge: bytes | None = None
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def huge_feed(self, base: str) -> bytes:
        if self._huge is None:
            items = "".join(f"<item><link>{base}/gen/{n}.html</link></item>" for n in range(HUGE_FEED))
            self._huge = f"<rss><channel>{items}</channel></rss>".encode()
        return self._huge

    def requests(self, prefix: str = "") -> list[tuple[str, int]]:
        return [(p, s) for p, s in self.log if p.startswith(prefix)]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    s = Site()
    yield s
    s.stop()


@pytest.fixture
def web_settings(hash_settings) -> Settings:
    """Plumbing settings (hashing embedder) that may fetch from 127.0.0.1, without waiting between requests."""
    return replace(hash_settings, fetch_allow_private=1, fetch_delay=0.0, fetch_timeout=5.0)


def qa(args: list[str], index_dir, **env) -> subprocess.CompletedProcess:
    full = {**os.environ, "QA_INDEX_DIR": str(index_dir), "QA_EMBEDDER": "hash", "QA_FETCH_DELAY": "0", **env}
    return subprocess.run(QA + args, capture_output=True, text=True, env=full, timeout=120)


# -- the end-to-end path: feed → index → cited answer with its URL → re-run → one page changed -------


def test_feed_ingest_cites_urls_and_reruns_take_only_what_changed(site, tmp_path):
    index = tmp_path / "index"
    feed = site.url + "/feed.rss"
    first = qa(["ingest", "-q", feed], index, QA_FETCH_ALLOW_PRIVATE="1")
    # robots.txt forbids /private/: that page alone is refused, in one line; the five seeds are ingested
    assert first.returncode == 1 and "Traceback" not in first.stderr
    refused = [line for line in first.stderr.splitlines() if line.startswith("refused:")]
    assert len(refused) == 1 and "/private/secret.html" in refused[0] and "robots.txt" in refused[0]
    assert "5 added" in first.stderr, first.stderr
    assert ("/private/secret.html", 200) not in site.log  # never requested
    assert all(agent.startswith("hoi-dap/") for agent in site.agents), site.agents

    out = qa(["ask", "--json", "Tỉnh nào tụt 17 bậc chỉ số PAR Index?"], index)
    assert out.returncode == 0, out.stderr
    answer = json.loads(out.stdout)
    assert answer["found"] and answer["citations"], answer
    top = answer["citations"][0]
    assert top["url"].startswith(site.url + "/bai/") and "tụt 17 bậc" in top["text"]
    article = json.loads(qa(["show", "--json", top["article_id"]], index).stdout)
    assert article["url"] == top["url"] and article["file"] == top["url"]

    # a second run: every page answers 304 to its ETag, nothing is downloaded or added
    site.log.clear()
    second = qa(["ingest", "-q", feed], index, QA_FETCH_ALLOW_PRIVATE="1")
    assert "0 added" in second.stderr and "5 unchanged" in second.stderr, second.stderr
    pages = site.requests("/bai/")
    assert len(pages) == 5 and {s for _, s in pages} == {304}, pages

    # one page changes: only it is downloaded again and replaced; the index still holds 5 articles
    before = {row["file"]: row["id"] for row in map(json.loads, qa(["list", "--json"], index).stdout.splitlines())}
    site.pages["/bai/3.html"] = seed_html(SEED_FILES[3], extra="Cập nhật: số liệu được bổ sung ngày 2/12/2026.")
    site.log.clear()
    third = qa(["ingest", "-q", feed], index, QA_FETCH_ALLOW_PRIVATE="1")
    assert "1 added" in third.stderr and "4 unchanged" in third.stderr, third.stderr
    assert sorted(p for p, s in site.requests("/bai/") if s == 200) == ["/bai/3.html"]
    after = {row["file"]: row["id"] for row in map(json.loads, qa(["list", "--json"], index).stdout.splitlines())}
    assert after.keys() == before.keys() and len(after) == 5
    changed = [f for f in after if after[f] != before[f]]
    assert changed == [site.url + "/bai/3.html"]


def test_sitemap_index_and_atom_feed_are_read_with_relative_links(site, web_settings):
    report = pipeline.ingest([site.url + "/sitemap.xml"], web_settings)
    assert sorted(report.added) == [f"{site.url}/bai/{i}.html" for i in (2, 3, 4)], report.refused
    report = pipeline.ingest([site.url + "/atom.xml"], web_settings)  # relative hrefs, resolved on the feed's URL
    assert sorted(report.added) == [f"{site.url}/bai/{i}.html" for i in (0, 1)] and not report.refused
    report = pipeline.ingest([site.url + "/sitemap-bai.xml.gz"], web_settings)  # already in: linked, not re-added
    assert sorted(report.unchanged) == [f"{site.url}/bai/{i}.html" for i in (0, 1)] and not report.refused


def test_a_gzip_bomb_sitemap_stops_at_the_size_limit(site, web_settings):
    report = pipeline.ingest(
        [site.url + "/bomb.xml.gz", site.url + "/bai/1.html"], replace(web_settings, fetch_max_mb=1)
    )
    assert report.added == [site.url + "/bai/1.html"]
    (refusal,) = report.refused
    assert "larger than 1 MB" in refusal.reason


def test_a_single_page_is_ingested_with_its_url_and_host_as_source(site, web_settings):
    from qa.store import IndexReader

    report = pipeline.ingest([site.url + "/bai/1.html"], web_settings)
    assert report.added == [site.url + "/bai/1.html"]
    (art,) = IndexReader(web_settings.index_path).articles()
    assert art.meta.url == site.url + "/bai/1.html" and art.meta.source
    assert "Trang chủ" not in art.text and "Bản quyền" not in art.text  # the menu and footer are removed


# -- bad input: one sentence each, the rest of the batch ingested ----------------------------------------


def test_hostile_endpoints_are_refused_one_sentence_each_and_the_good_page_is_kept(site, web_settings):
    settings = replace(web_settings, fetch_timeout=1.0, fetch_max_mb=0.1, fetch_max_redirects=3)
    urls = [site.url + p for p in ("/loop/a", "/slow", "/big", "/endless", "/nothing-here")]
    started = time.monotonic()
    report = pipeline.ingest(
        [*urls, "file:///etc/passwd", "ftp://127.0.0.1/bai.html", site.url + "/bai/2.html"], settings
    )
    assert time.monotonic() - started < 30
    assert report.added == [site.url + "/bai/2.html"]
    reasons = {r.file: r.reason for r in report.refused}
    assert "redirects more than 3 times" in reasons[site.url + "/loop/a"]
    assert len(site.requests("/loop/")) == 4  # the first request and three redirects, then it stops
    assert "did not answer within 1 s" in reasons[site.url + "/slow"]
    assert "larger than 0.1 MB" in reasons[site.url + "/big"]
    assert "larger than 0.1 MB" in reasons[site.url + "/endless"]
    assert "404" in reasons[site.url + "/nothing-here"]
    assert "only http:// and https://" in reasons["file:///etc/passwd"]
    assert "only http:// and https://" in reasons["ftp://127.0.0.1/bai.html"]
    for r in report.refused:  # one sentence, with a Vietnamese one for the page
        assert r.reason.count(". ") == 0 and r.reason.endswith(".") and r.vi and "\n" not in r.reason


def test_a_host_that_stops_answering_is_not_waited_for_page_after_page(site, web_settings):
    started = time.monotonic()
    report = pipeline.ingest([site.url + "/slow.rss"], replace(web_settings, fetch_timeout=1.0))
    assert time.monotonic() - started < 8  # two timeouts, not four
    reasons = [r.reason for r in report.refused]
    assert len(reasons) == 4 and not report.added
    assert all("did not answer within 1 s" in r for r in reasons[:2])
    assert all("did not answer 2 times in this run" in r for r in reasons[2:])
    assert len([p for p in site.arrived if p.startswith("/slow?")]) == 2


def test_a_feed_of_100000_entries_is_capped_per_run_new_entries_first(site, web_settings):
    settings = replace(web_settings, fetch_max_entries=3)
    started = time.monotonic()
    report = pipeline.ingest([site.url + "/huge.rss"], settings)
    assert time.monotonic() - started < 60
    assert report.added == [f"{site.url}/gen/{n}.html" for n in range(3)] and not report.refused
    (notice,) = report.notices
    assert "100,000 pages" in notice.text and "3 are taken per run" in notice.text
    again = pipeline.ingest([site.url + "/huge.rss"], settings)  # the next run takes the next three
    assert again.added == [f"{site.url}/gen/{n}.html" for n in range(3, 6)]


def test_cli_refuses_urls_one_line_each_and_ingests_the_rest(site, tmp_path):
    good = tmp_path / "bai.txt"
    good.write_text(SEED_FILES[0].read_text(encoding="utf-8"), encoding="utf-8")
    out = qa(
        ["ingest", "-q", "file:///etc/passwd", site.url + "/loop/a", str(good)],
        tmp_path / "index",
        QA_FETCH_ALLOW_PRIVATE="1",
        QA_FETCH_MAX_REDIRECTS="2",
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr
    lines = out.stderr.splitlines()
    assert [line.split(":", 1)[0] for line in lines[:2]] == ["refused", "refused"]
    assert "1 added" in lines[2]


# -- SSRF protection ------------------------------------------------------------------------------


def test_loopback_is_not_fetched_unless_allowed(site, hash_settings, tmp_path):
    settings = replace(hash_settings, fetch_delay=0.0)
    report = pipeline.ingest(
        [site.url + "/bai/0.html", site.url.replace("127.0.0.1", "localhost") + "/feed.rss"], settings
    )
    assert not report.added and len(report.refused) == 2
    assert all(
        "loopback, private or link-local" in r.reason and "QA_FETCH_ALLOW_PRIVATE=1" in r.reason for r in report.refused
    )
    assert site.log == []  # refused before connecting: the server never saw a request
    # other spellings of loopback: decimal, hexadecimal, IPv6, IPv4 inside IPv6
    spellings = [
        f"http://{host}:{site.port}/bai/0.html"
        for host in ("2130706433", "0x7f.1", "[::1]", "[::ffff:127.0.0.1]", "127.1")
    ]
    report = pipeline.ingest(spellings, settings)
    assert len(report.refused) == 5 and all("loopback, private or link-local" in r.reason for r in report.refused)
    assert site.log == []
    out = qa(["ingest", "-q", site.url + "/bai/0.html"], tmp_path / "index")
    assert out.returncode == 1 and out.stderr.startswith("refused: ") and "Traceback" not in out.stderr


def test_a_redirect_to_a_private_address_is_refused_at_that_hop(site, hash_settings):
    # the admin allows this one host:port; its redirect to localhost (the same server) is checked again
    settings = replace(hash_settings, fetch_delay=0.0, fetch_allow_hosts=f"127.0.0.1:{site.port}")
    report = pipeline.ingest([site.url + "/to-localhost", site.url + "/bai/4.html"], settings)
    assert report.added == [site.url + "/bai/4.html"]
    (refusal,) = report.refused
    assert "localhost is at" in refusal.reason and "private" in refusal.reason
    assert "robots.txt" not in refusal.reason  # refused by the hop's own check, before anything is asked of it
    assert [p for p, _ in site.log if p.startswith("/bai/0")] == []  # the redirect target was never fetched


@pytest.mark.parametrize(
    "address,public",
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),
        ("8.8.8.8", True),
        ("1.1.1.1", True),
        ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True),
    ],
)
def test_which_addresses_count_as_public(address, public):
    assert is_public(address) is public


# -- settings -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "var,value,words",
    [
        ("QA_FETCH_TIMEOUT", "0", "out of range"),
        ("QA_FETCH_MAX_MB", "-1", "out of range"),
        ("QA_FETCH_MAX_REDIRECTS", "many", "not a whole number"),
        ("QA_FETCH_MAX_ENTRIES", "0", "out of range"),
        ("QA_FETCH_ALLOW_PRIVATE", "2", "out of range"),
        ("QA_FETCH_ALLOW_PRIVATE", "yes", "not a whole number"),
        ("QA_FETCH_ALLOW_HOSTS", "intranet.local:99999", "not a host name"),
        ("QA_FETCH_ALLOW_HOSTS", "http://intranet.local/", "not a host name"),
        ("QA_FETCH_CONTACT", "a@b.vn\r\nX-Evil: 1", "one line"),
    ],
)
def test_fetch_settings_are_validated(monkeypatch, var, value, words):
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError, match=words):
        Settings.from_env()


def test_user_agent_names_the_product_version_and_contact(site, web_settings):
    from qa import __version__

    pipeline.ingest([site.url + "/bai/0.html"], replace(web_settings, fetch_contact="admin@so-tttt.gov.vn"))
    assert site.agents == {f"hoi-dap/{__version__} (+admin@so-tttt.gov.vn)"}


# -- the page: "Thêm nguồn" behind QA_AUTH, citations linked to the original --------------------------


def test_citation_title_links_to_the_original_only_for_http_urls():
    from qa.records import Answer, Article, Citation, Metadata
    from qa.ui import render_citations

    def card(url):
        art = Article("0123456789abcdef", "bai.html", "Hà Nam tụt 17 bậc.", Metadata(title="Tin Hà Nam", url=url))
        cite = Citation(1, art.id, art.file, "Tin <Hà Nam>", None, None, None, 0, 18, art.text, 1.0, url=url)
        return render_citations(Answer("q", "a", (cite,)), {art.id: art})

    linked = card('https://baohanam.com.vn/tin/"x"?a=1&b=2')
    assert (
        '<a class="qa-cite-link" href="https://baohanam.com.vn/tin/&quot;x&quot;?a=1&amp;b=2" target="_blank" '
        'rel="noopener noreferrer"'
    ) in linked and "Tin &lt;Hà Nam&gt;</a>" in linked
    for bad in (
        "javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "https://a.vn/\nx",
        None,
    ):
        out = card(bad)
        assert "<a " not in out and "Tin &lt;Hà Nam&gt;" in out


def test_add_source_on_the_page_needs_the_login_and_says_the_outcome_in_vietnamese(site, tmp_path):
    import httpx
    from conftest import Server, page_event

    srv = Server(
        str(tmp_path / "index"),
        tmp_path,
        QA_EMBEDDER="hash",
        QA_AUTH="canbo:mat-khau",
        QA_FETCH_ALLOW_PRIVATE="1",
        QA_FETCH_DELAY="0",
    )
    try:
        with httpx.Client(base_url=srv.url, timeout=60) as c:
            assert c.get("/config").status_code == 401  # without the login the page's events are not reachable
            join = c.post(
                "/gradio_api/queue/join",
                json={
                    "data": [site.url + "/feed.rss"],
                    "fn_index": 0,
                    "session_hash": "x",
                    "event_data": None,
                    "trigger_id": None,
                },
            )
            assert join.status_code in (401, 403)
            assert c.post("/gradio_api/call/add_source", json={"data": [site.url + "/feed.rss"]}).status_code in (
                401,
                403,
                404,
            )
            assert site.log == []
            assert c.post("/login", data={"username": "canbo", "password": "mat-khau"}).status_code == 200
            cookie = {"Cookie": "; ".join(f"{k}={v}" for k, v in c.cookies.items())}

        def add(url):
            return page_event(srv.url, "add_source", [url], headers=cookie)["output"]["data"][0]

        out = add(site.url + "/feed.rss")
        assert out.startswith("Đã nạp 5 bài mới") and "robots.txt" in out, out
        assert "Không nạp được 1 địa chỉ" in out
        assert "bài không thay đổi" in add(site.url + "/feed.rss")
        assert "chỉ nhận địa chỉ http" in add("file:///etc/passwd")
        assert "phải bắt đầu bằng http" in add("/etc/passwd")  # never read as a path on the server
        assert "không trả lời" not in add(site.url + "/loop/a") and "chuyển hướng quá" in add(site.url + "/loop/a")
        r = httpx.post(
            srv.url + "/api/ask",
            json={"question": "Tỉnh nào tụt 17 bậc chỉ số PAR Index?"},
            auth=("canbo", "mat-khau"),
            timeout=60,
        )
        assert r.status_code == 200 and r.json()["citations"][0]["url"].startswith(site.url + "/bai/")
        assert "Traceback" not in (tmp_path / "server.log").read_text()
    finally:
        srv.stop()
