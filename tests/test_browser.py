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
    wait_answer(page, "tụt 17 bậc")
    assert page.locator("#qa-chat strong").last.inner_text() == "Hà Nam"  # the short answer, in bold, first
    first = page.locator("#qa-citations .qa-cite").first
    first.wait_for()
    assert "tụt 17 bậc" in first.locator(".qa-passage").inner_text()
    assert first.locator("mark.qa-sentence").count() >= 1  # the quoted sentence(s) highlighted

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


# -- issue 16: the page tried as staff would -------------------------------------------------------

ENGLISH = ["Drop File Here", "Click to Upload", "- or -", "Clear", "Copy", "Like", "Dislike", "Share", "Error", "Info",
           "Examples", "Login", "username", "password", "bot's message", "user's message", "Loading", "Upload", "chatbot conversation"]


def _feedback_rows(server) -> list[dict]:
    import json

    path = Path(server.log.name).parent / "feedback.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def _english_left(page) -> list[str]:
    """Gradio's English words still visible or announced (text, aria-label, title, placeholder)."""
    found = page.evaluate("""(words) => {
      const out = new Set(), texts = [];
      const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      let n;
      while ((n = w.nextNode())) {
        const el = n.parentElement;
        if (!el || el.closest('script, style, #qa-citations, #qa-chat .message-content')) continue;
        const r = el.getBoundingClientRect();
        if (r.width === 0 && r.height === 0) continue;
        texts.push(n.nodeValue.trim());
      }
      document.querySelectorAll('[aria-label], [title], [placeholder]').forEach(e => {
        ['aria-label', 'title', 'placeholder'].forEach(a => { const v = e.getAttribute(a); if (v) texts.push(v); });
      });
      for (const t of texts) for (const word of words) {
        if (t === word || t.startsWith(word + ' ') || t.startsWith(word + ':') || t.includes('\\\\(')) out.add(t.slice(0, 80));
      }
      return [...out];
    }""", ENGLISH)
    return found


def test_empty_question_and_bad_date_give_a_note_not_a_blocking_modal(server, page):
    page.goto(server.url, wait_until="domcontentloaded")
    page.locator("#qa-question textarea").wait_for(timeout=60_000)
    page.locator("#qa-send").click()
    page.locator("#qa-notice").get_by_text("Vui lòng nhập câu hỏi").wait_for(timeout=30_000)
    assert page.locator(".toast-body, [data-testid=toast-body]").count() == 0  # no red "Error" overlay
    page.get_by_text("Bộ lọc và chế độ tìm kiếm").click()
    page.locator("#qa-date-from textarea, #qa-date-from input").first.fill("2021-13-45")
    ask(page, QUESTION)  # clicks are not blocked by anything to close first
    page.locator("#qa-notice").get_by_text("ngày có thật", exact=False).wait_for(timeout=30_000)
    assert page.locator(".toast-body, [data-testid=toast-body]").count() == 0
    assert page.locator("#qa-question textarea").input_value() == QUESTION  # the question is kept
    page.locator("#qa-date-from textarea, #qa-date-from input").first.fill("")
    page.locator("#qa-send").click()
    wait_answer(page, "tụt 17 bậc")
    assert page.locator("#qa-notice").inner_text().strip() == ""


def test_feedback_after_the_chats_own_clear_and_after_an_error_reply(server, page):
    page.goto(server.url, wait_until="domcontentloaded")
    ask(page, "Ai là Chủ tịch UBND tỉnh Hà Nam?")
    wait_answer(page, "Trương Quốc Huy")
    page.locator("#qa-chat button[aria-label='Xóa']").first.click()  # the chat's own 🗑, not our button
    page.locator("#qa-chat [data-testid=bot]").first.wait_for(state="detached", timeout=10_000)
    ask(page, QUESTION)
    wait_answer(page, "tụt 17 bậc")
    before = len(_feedback_rows(server))
    page.locator("#qa-chat [data-testid=bot]").last.wait_for()
    page.locator("#qa-chat button[aria-label='Không hữu ích']").last.click()
    page.get_by_text("Cảm ơn phản hồi", exact=False).first.wait_for(timeout=10_000)
    rows = _feedback_rows(server)
    assert len(rows) == before + 1 and rows[-1]["question"] == QUESTION and rows[-1]["useful"] is False

    ask(page, "?!?!")
    wait_answer(page, "Câu hỏi không có từ nào để tìm")
    page.locator("#qa-chat button[aria-label='Hữu ích']").last.click()
    page.wait_for_timeout(1500)
    rows = _feedback_rows(server)
    assert len(rows) == before + 2 and rows[-1]["question"] == "?!?!" and rows[-1]["useful"] is True
    assert rows[-1]["error"] is True


def test_phone_width_shows_the_citations_right_below_the_answer(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    try:
        page.goto(server.url, wait_until="domcontentloaded")
        ask(page, QUESTION)
        wait_answer(page, "tụt 17 bậc")
        card = page.locator("#qa-citations .qa-cite").first
        card.wait_for()
        chat = page.locator("#qa-chat").bounding_box()
        top = card.bounding_box()["y"]
        assert chat["y"] + chat["height"] <= top < chat["y"] + chat["height"] + 120  # only the "Trích dẫn" heading between
        assert page.locator("#qa-question").bounding_box()["y"] > top  # the question box comes after
        page.evaluate("window.scrollTo(0, document.querySelector('#qa-chat').getBoundingClientRect().top + window.scrollY)")
        page.screenshot(path=str(tmp_path / "phone.png"))
        print(f"phone screenshot: {tmp_path / 'phone.png'}")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # nothing wider than the phone
    finally:
        context.close()


def test_desktop_1366x768_shows_examples_and_filters_above_the_fold(server, browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        page.goto(server.url, wait_until="domcontentloaded")
        page.locator("#qa-question textarea").wait_for(timeout=60_000)
        page.get_by_text("Câu hỏi mẫu").first.wait_for()
        for locator in (page.get_by_text(EXAMPLES_FIRST).first, page.locator("#qa-filters"), page.locator("#qa-send")):
            box = locator.bounding_box()
            assert box and box["y"] + box["height"] <= 768, box
    finally:
        context.close()


EXAMPLES_FIRST = "Tỉnh nào tụt 17 bậc chỉ số PAR Index?"


def test_page_is_vietnamese_throughout(server, page):
    page.goto(server.url, wait_until="domcontentloaded")
    ask(page, QUESTION)
    wait_answer(page, "tụt 17 bậc")
    page.get_by_text("Nạp bài viết mới").click()
    page.get_by_text("Bộ lọc và chế độ tìm kiếm").click()
    page.get_by_text("Thả tệp vào đây", exact=False).first.wait_for(timeout=10_000)
    page.wait_for_timeout(500)
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert _english_left(page) == []
    assert page.locator("#qa-chat button[aria-label*='Share'], #qa-chat button[aria-label*='Chia sẻ']").count() == 0
    label = page.locator("#qa-chat [data-testid=bot]").last.get_attribute("aria-label")
    assert label.startswith("Câu trả lời: Hà Nam") and "\\" not in label and "<a" not in label
    page.locator("#qa-chat button[aria-label='Hữu ích']").last.click()
    toast = page.locator(".toast-body, [data-testid=toast-body]").first
    toast.wait_for(timeout=10_000)
    assert "Thông báo" in toast.inner_text() and "Info" not in toast.inner_text()


def test_citation_number_in_the_answer_links_to_its_card(server, page):
    page.goto(server.url, wait_until="domcontentloaded")
    ask(page, "Nghị quyết 17-NQ/TU của Tỉnh ủy Hà Nam ban hành ngày nào?")
    page.locator("#qa-chat a[href^='#cite-']").first.wait_for(timeout=60_000)
    link = page.locator("#qa-chat a[href^='#cite-']").first
    n = link.get_attribute("href").removeprefix("#cite-")
    link.click()
    card = page.locator(f"#qa-citations #cite-{n}")
    page.wait_for_timeout(300)
    assert "qa-target" in card.get_attribute("class")
    box, cite = page.locator("#qa-citations").bounding_box(), card.bounding_box()
    assert cite["y"] < box["y"] + box["height"] and cite["y"] + 20 > box["y"]  # scrolled into the panel's view


def test_long_paste_is_not_cut_silently(server, page):
    page.goto(server.url, wait_until="domcontentloaded")
    page.locator("#qa-question textarea").wait_for(timeout=60_000)
    pasted = ("Tỉnh Hà Nam tụt bao nhiêu bậc chỉ số cải cách hành chính " * 60)[:3000]
    page.locator("#qa-question textarea").fill(pasted)
    assert len(page.locator("#qa-question textarea").input_value()) == 3000
    page.locator("#qa-send").click()
    wait_answer(page, "Câu hỏi quá dài (3000 ký tự; tối đa 2000)")


def test_province_list_has_post_2025_names_and_the_active_filter_is_shown(server, page):
    page.goto(server.url, wait_until="domcontentloaded")
    page.locator("#qa-question textarea").wait_for(timeout=60_000)
    page.get_by_text("Bộ lọc và chế độ tìm kiếm").click()
    dropdown = page.locator("#qa-provinces input").first
    dropdown.click()
    for name in ("Hà Giang", "Huế", "Ninh Bình"):  # none of them is an article's province
        dropdown.fill(name)
        page.locator("ul[role=listbox] li", has_text=name).first.wait_for(timeout=10_000)
    page.locator("ul[role=listbox] li", has_text="Ninh Bình").first.click()
    page.locator("#qa-active").get_by_text("Đang lọc: tỉnh/thành Ninh Bình").wait_for(timeout=10_000)
    page.locator("#qa-title").click()  # close the list
    ask(page, "cải cách hành chính")
    page.locator("#qa-citations .qa-cite").first.wait_for(timeout=60_000)
    metas = page.locator("#qa-citations .qa-cite-meta").all_inner_texts()
    assert metas and all("Hà Nam" in m for m in metas)  # Ninh Bình (2025) includes Hà Nam


def test_opening_an_article_inside_an_iframe_does_not_scroll_the_host_page(server, page, tmp_path):
    (tmp_path / "host.html").write_text(
        f'<!doctype html><html><head><meta charset="utf-8"></head><body><h1>Cổng nội bộ</h1>'
        f'<iframe id="qa" src="{server.url}/" width="1200" height="1400" style="border:0"></iframe>'
        f'<div style="height:3000px">Nội dung khác của cổng</div></body></html>', encoding="utf-8")  # taller than the window
    static = _static_server(tmp_path)
    try:
        page.goto(f"http://127.0.0.1:{static.server_port}/host.html", wait_until="domcontentloaded")
        frame = page.frame_locator("#qa")
        ask(frame, QUESTION)
        wait_answer(frame, "tụt 17 bậc")
        card = frame.locator("#qa-citations .qa-cite").nth(1)
        card.wait_for()
        page.evaluate("window.scrollTo(0, 0)")
        card.locator("details.qa-article summary").click()
        frame.locator("#qa-citations details.qa-article[open] mark.qa-span").first.wait_for(timeout=10_000)
        page.wait_for_timeout(800)
        assert page.evaluate("window.scrollY") == 0
        body = card.locator(".qa-article-body")
        assert body.evaluate("b => b.scrollTop") > 0  # the article panel itself scrolled to the span
    finally:
        static.shutdown()


def test_login_page_is_vietnamese(seed_settings, page, tmp_path):
    from conftest import Server

    srv = Server(seed_settings.index_dir, tmp_path, QA_AUTH="canbo:mat-khau")
    try:
        page.goto(srv.url, wait_until="domcontentloaded")
        page.get_by_text("Đăng nhập").first.wait_for(timeout=60_000)
        assert page.evaluate("document.documentElement.lang") == "vi"
        assert _english_left(page) == [] and "Login" not in page.locator("body").inner_text()
        page.locator("input").first.fill("canbo")
        page.locator("input[type=password]").fill("mat-khau")
        page.locator("button", has_text="Đăng nhập").last.click()
        page.locator("#qa-question textarea").wait_for(timeout=60_000)
    finally:
        srv.stop()


def test_follow_up_question_in_the_chat_is_completed_from_the_earlier_one(server, page):
    page.goto(server.url + "/")
    ask(page, "Ai là Bí thư Tỉnh ủy Lạng Sơn?")
    wait_answer(page, "Lâm Thị Phương Thanh")
    ask(page, "Còn Sơn La thì sao?")
    wait_answer(page, "Câu hỏi được hiểu là: Ai là Bí thư Tỉnh ủy Sơn La?")
    page.locator("#qa-chat strong").last.wait_for()
    cards = page.locator("#qa-citations .qa-cite-meta")
    cards.first.wait_for()
    metas = cards.all_inner_texts()
    assert metas and all("Sơn La" in m for m in metas), metas  # Sơn La's passages, not Lạng Sơn's


def test_not_found_shows_the_closest_passages_as_related_reading(server, page):
    page.goto(server.url + "/")
    ask(page, "Chỉ số PAPI năm 2021 của tỉnh Lạng Sơn xếp thứ mấy?")
    wait_answer(page, "không có số liệu PAPI của tỉnh Lạng Sơn")
    page.locator("#qa-citations").get_by_text("không phải câu trả lời", exact=False).wait_for()
    assert page.locator("#qa-chat strong").count() == 0  # no short answer pretends to answer


# -- issue 17: PDF articles ---------------------------------------------------------------------------


def test_uploaded_pdf_is_cited_with_its_page_and_the_article_view_shows_the_page_and_the_span(server, page, tmp_path):
    import docfiles
    from conftest import SEEDS
    from docfiles import PAGE1, PAGE2, PAGE3

    filler = [p.strip() for f in sorted(SEEDS.glob("*.txt"))[3:] for p in f.read_text(encoding="utf-8").split("\n\n")
              if len(p.strip()) > 150]
    pdf = docfiles.pdf(tmp_path / "quyết-định-1234.pdf",
                       [PAGE1 + filler[0:3], filler[3:6] + PAGE2 + filler[6:8], filler[8:11] + PAGE3])
    locked = docfiles.encrypted(pdf, tmp_path / "có-mật-khẩu.pdf")
    page.goto(server.url, wait_until="domcontentloaded")
    page.get_by_text("Nạp bài viết mới").click()
    upload = page.locator("#qa-upload input[type=file]")
    upload.set_input_files(str(locked))
    time.sleep(1)
    page.locator("#qa-load").click()
    page.get_by_text("tệp PDF được đặt mật khẩu", exact=False).first.wait_for(timeout=60_000)  # in Vietnamese
    page.locator("#qa-upload button[aria-label]").first.click()  # clear the file widget
    upload.set_input_files(str(pdf))
    time.sleep(1)
    page.locator("#qa-load").click()
    page.get_by_text("Đã nạp", exact=False).first.wait_for(timeout=120_000)

    ask(page, "Đến hết năm 2024 Sở Nội vụ phấn đấu bao nhiêu phần trăm hồ sơ được giải quyết đúng hạn?")
    wait_answer(page, "98%")
    card = page.locator("#qa-citations .qa-cite", has=page.locator(".qa-cite-meta", has_text="trang 2")).first
    card.wait_for()
    assert "98%" in card.locator(".qa-passage").inner_text()
    card.locator("details.qa-article summary").click()
    span = card.locator(".qa-page-cited[data-page='2'] mark.qa-span")
    span.wait_for(state="visible")
    assert card.locator(".qa-page-cited .qa-page-no").first.inner_text().strip() == "Trang 2"
    assert "98%" in span.inner_text()
    body = card.locator(".qa-article-body").bounding_box()
    box = span.bounding_box()
    assert box["y"] < body["y"] + body["height"] and box["y"] + box["height"] > body["y"]  # scrolled into view
    assert card.locator("[data-page='1'] .qa-page-no").inner_text().strip() == "Trang 1"
    page.screenshot(path=str(tmp_path / "pdf-article.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'pdf-article.png'}")


def test_documents_tab_lists_the_register_and_opens_a_documents_passages(server, page, tmp_path):
    page.goto(server.url, wait_until="domcontentloaded")
    page.get_by_role("tab", name="Văn bản").click()
    table = page.locator("#qa-doc-list table.qa-doc-table")
    table.wait_for(timeout=60_000)
    row = table.locator("tr[data-number='57-NQ/TU']")
    assert "Nghị quyết" in row.inner_text() and "18/01/2013" in row.inner_text()
    assert "tăng cường sự lãnh đạo" in row.inner_text()
    heads = table.locator("th").all_inner_texts()
    assert heads == ["Số hiệu", "Loại", "Ngày ban hành", "Cơ quan ban hành", "Trích yếu", "Số bài viết"]
    number = page.locator("#qa-doc-number input")
    number.click()
    number.fill("436-KL/TU")
    page.get_by_role("option", name="436-KL/TU — Kết luận").click()
    detail = page.locator("#qa-doc-detail")
    detail.get_by_text("Kết luận 436-KL/TU").wait_for(timeout=60_000)
    card = detail.locator(".qa-doc-article").first
    assert "436-KL/TU" in card.locator("mark.qa-sentence").first.inner_text()
    card.locator("details.qa-article summary").click()  # the article view, the mention marked
    span = card.locator("details.qa-article mark.qa-span").first
    span.wait_for(state="visible")
    assert "436-KL/TU" in span.inner_text()
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert _english_left(page) == []
    page.screenshot(path=str(tmp_path / "documents.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'documents.png'}")
