"""The page's "Thêm nguồn" and the cited title's link to the original, in a real headless Chromium
against the real server and the local news site of tests/test_web.py (nothing leaves 127.0.0.1)."""

from __future__ import annotations

import pytest
from test_browser import ask, browser, page, pytestmark, wait_answer  # noqa: F401, F811 - fixtures and the skip
from test_web import Site

QUESTION = "Tỉnh nào tụt 17 bậc chỉ số PAR Index?"


@pytest.fixture
def site():
    s = Site()
    yield s
    s.stop()


def test_add_a_feed_from_the_page_then_open_a_cited_original(site, page, tmp_path):  # noqa: F811
    from conftest import Server

    srv = Server(str(tmp_path / "index"), tmp_path, QA_EMBEDDER="hash", QA_FETCH_ALLOW_PRIVATE="1", QA_FETCH_DELAY="0")
    try:
        page.goto(srv.url, wait_until="domcontentloaded")
        page.get_by_text("Thêm nguồn (quản trị)").click()
        page.locator("#qa-source textarea, #qa-source input").first.fill(site.url + "/feed.rss")
        page.locator("#qa-add-source").click()
        status = page.locator("#qa-source-status")
        status.get_by_text("Đã nạp 5 bài mới", exact=False).wait_for(timeout=120_000)
        assert "robots.txt" in status.inner_text()  # the one page it forbids, said in Vietnamese

        ask(page, QUESTION)
        wait_answer(page, "tụt 17 bậc")
        link = page.locator("#qa-citations .qa-cite").first.locator("a.qa-cite-link")
        link.wait_for()
        href = link.get_attribute("href")
        assert href.startswith(site.url + "/bai/")
        assert link.get_attribute("target") == "_blank" and link.get_attribute("rel") == "noopener noreferrer"
        with page.context.expect_page() as opened:
            link.click()
        original = opened.value
        original.wait_for_load_state("domcontentloaded")
        assert original.url == href
        assert original.evaluate("window.opener") is None  # the original cannot reach back into the page
        assert page.dialogs == []
    finally:
        srv.stop()
