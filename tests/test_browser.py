"""The chat page in a real headless Chromium (Debian's), driven by Playwright, against the real server."""

from __future__ import annotations

import http.server
import os
import shutil
import threading
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]
QUESTION = "Tỉnh nào tụt 17 bậc chỉ số PAR Index?"

pytestmark = pytest.mark.browser
if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError("chromium is missing: scripts/test.sh installs Debian's chromium for the browser tests")
    pytestmark = [pytest.mark.browser, pytest.mark.skip(reason="Debian's chromium is not installed")]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, tmp_path, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.dialogs = []
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    yield pg
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        pg.screenshot(path=str(tmp_path / "failure.png"), full_page=True)
        print(f"failure screenshot: {tmp_path / 'failure.png'}")
    context.close()


def _static_server(folder: Path, port: int = 0) -> http.server.ThreadingHTTPServer:
    """A plain web server for an intranet-like page on another origin."""
    handler = lambda *a: http.server.SimpleHTTPRequestHandler(*a, directory=str(folder))  # noqa: E731
    static = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=static.serve_forever, daemon=True).start()
    return static


def ask(frame, question: str) -> None:
    frame.locator("#qa-question textarea").wait_for(timeout=60_000)
    frame.locator("#qa-question textarea").fill(question)
    frame.locator("#qa-send").click()


def wait_answer(frame, text: str, timeout: float = 60_000) -> None:
    frame.locator("#qa-chat").get_by_text(text, exact=False).first.wait_for(timeout=timeout)


def test_ask_answer_and_open_cited_article(server, page, tmp_path):
    page.goto(server.url, wait_until="domcontentloaded")
    ask(page, QUESTION)
    assert "Hỏi đáp tin tức" in page.content()
    wait_answer(page, "Hà Nam:")
    first = page.locator("#qa-citations .qa-cite").first
    first.wait_for()
    assert "tụt 17 bậc" in first.locator(".qa-passage").inner_text()
    assert first.locator("mark.qa-sentence").count() == 1  # the answering sentence is highlighted

    first.locator("details.qa-article summary").click()
    span = first.locator("details.qa-article mark.qa-span")
    span.wait_for(state="visible")
    api = httpx.post(server.url + "/api/ask", json={"question": QUESTION, "k": 5}, timeout=60).json()
    assert span.inner_text().strip() == api["citations"][0]["text"].strip()
    # the article panel scrolled so the cited span is on screen
    body = first.locator(".qa-article-body").bounding_box()
    box = span.bounding_box()
    assert box["y"] < body["y"] + body["height"] and box["y"] + box["height"] > body["y"]
    page.screenshot(path=str(tmp_path / "answer.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'answer.png'}")


def test_page_works_inside_an_iframe(server, page, tmp_path):
    (tmp_path / "intranet.html").write_text(
        f'<!doctype html><html><head><meta charset="utf-8"></head><body><h1>Cổng nội bộ</h1>'
        f'<iframe id="qa" src="{server.url}/" width="1200" height="850" style="border:0"></iframe></body></html>',
        encoding="utf-8",
    )
    static = _static_server(tmp_path)
    try:
        page.goto(f"http://127.0.0.1:{static.server_port}/intranet.html", wait_until="domcontentloaded")
        frame = page.frame_locator("#qa")
        frame.locator("#qa-question textarea").wait_for(timeout=60_000)
        ask(frame, "Nghị quyết 08-NQ/TU của Bắc Kạn có bao nhiêu mục tiêu chung?")
        wait_answer(frame, "02 mục tiêu chung")
    finally:
        static.shutdown()


def test_hostile_article_uploaded_from_the_page_renders_as_text(server, page, tmp_path):
    hostile = tmp_path / "bài độc hại.txt"
    hostile.write_text(
        "Thông báo kiểm thử an ninh Quảng Trị\n\n"
        'Tỉnh Quảng Trị công bố mã kiểm thử ZX-9931 <script>window.pwned="script";alert("xss-script")</script> '
        'và ảnh <img src=x onerror=window.pwned="img";alert("xss-img")> cùng **chữ đậm** '
        '[liên kết](javascript:window.pwned="link";alert(3)) '
        "trong báo cáo ngày 12/5/2021 về cải cách hành chính tại địa phương.",
        encoding="utf-8",
    )
    page.goto(server.url, wait_until="domcontentloaded")
    page.get_by_text("Nạp bài viết mới").click()
    page.locator("#qa-upload input[type=file]").set_input_files(str(hostile))
    time.sleep(1)
    page.locator("#qa-load").click()
    page.get_by_text("Đã nạp", exact=False).first.wait_for(timeout=120_000)

    ask(page, "Mã kiểm thử ZX-9931 của Quảng Trị là gì?")
    wait_answer(page, "ZX-9931")
    cite = page.locator("#qa-citations .qa-cite").first
    cite.wait_for()
    assert '<script>window.pwned="script";alert("xss-script")</script>' in cite.inner_text()
    assert 'onerror=window.pwned="img"' in cite.inner_text()
    cite.locator("details.qa-article summary").click()
    page.wait_for_timeout(1000)
    assert page.dialogs == []  # nothing ran
    assert page.locator("#qa-citations script, #qa-citations img, #qa-chat img[src=x]").count() == 0
    assert page.evaluate("typeof window.pwned") == "undefined"  # each payload would have set it


def test_page_works_as_a_web_component_on_another_origin(seed_settings, page, tmp_path):
    from conftest import Server, free_port

    static_port = free_port()
    origin = f"http://127.0.0.1:{static_port}"
    srv = Server(seed_settings.index_dir, tmp_path, QA_ALLOWED_ORIGINS=origin)
    (tmp_path / "component.html").write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><script type="module" src="{srv.url}/gradio.js"></script></head>'
        f'<body><h1>Cổng nội bộ</h1><gradio-app src="{srv.url}"></gradio-app></body></html>',
        encoding="utf-8",
    )
    static = _static_server(tmp_path, static_port)
    try:
        page.goto(f"{origin}/component.html", wait_until="domcontentloaded")
        ask(page, "Ai là Chủ tịch UBND tỉnh Hà Nam?")
        wait_answer(page, "Trương Quốc Huy")
    finally:
        static.shutdown()
        srv.stop()


def test_errors_are_shown_in_vietnamese(server, page):
    page.goto(server.url, wait_until="domcontentloaded")
    page.locator("#qa-question textarea").wait_for(timeout=60_000)
    page.locator("#qa-send").click()
    page.get_by_text("Vui lòng nhập câu hỏi", exact=False).first.wait_for(timeout=30_000)
    ask(page, "?!?!")
    wait_answer(page, "Câu hỏi không có từ nào để tìm")
