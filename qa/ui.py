"""The Gradio chat page (Vietnamese UI): ask, read cited passages, open the full article, filter, upload, rate."""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
import shutil
import time
from dataclasses import replace
from pathlib import Path

import gradio as gr
from gradio.utils import get_upload_folder

from . import pipeline
from . import provinces as gazetteer
from .api import MAX_K
from .config import Settings
from .decode import suffix_of
from .errors import InputError, QAError
from .ingest import SUPPORTED_SUFFIXES
from .pipeline import Assistant
from .records import Answer
from .retrieve import Filters, iso_date
from .sources.web import is_url, safe_link
from .text import display_date, fold

log = logging.getLogger(__name__)

EXAMPLES = [
    "Tỉnh nào tụt 17 bậc chỉ số PAR Index?",
    "Nghị quyết 17-NQ/TU của Tỉnh ủy Hà Nam ban hành ngày nào?",
    "nghi quyet 57 cai cach hanh chinh lang son",
    "Who is the Party Secretary of Lang Son province?",
]

CSS = """
.qa-cite { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 0 0 8px 0; }
.qa-cite.qa-target { outline: 3px solid #f5a623; }
.qa-cite-head { font-weight: 600; }
.qa-cite-head a { color: inherit; text-decoration: underline; }
.qa-cite-meta { color: var(--body-text-color-subdued); font-size: 0.9em; }
.qa-passage, .qa-article-body { white-space: pre-wrap; }
.qa-article-body { max-height: 420px; overflow-y: auto; border-top: 1px solid var(--border-color-primary);
  margin-top: 6px; padding-top: 6px; }
mark.qa-span { background: #ffe58f; color: inherit; }
.qa-page-no { white-space: normal; margin: 0.6em 0 0.2em; font-size: 0.85em; font-weight: 600;
  color: var(--body-text-color-subdued); border-bottom: 1px dashed var(--border-color-primary); }
.qa-page-cited .qa-page-no { color: var(--body-text-color); }
.qa-ocr { font-size: 0.8em; padding: 0 0.35em; border: 1px solid currentColor; border-radius: 3px; }
mark.qa-sentence { background: #fff1b8; color: inherit; font-weight: 600; }
#qa-title h2 { margin: 0; }
#qa-title p { margin: 2px 0 0 0; }
#qa-notice:not(:has(p)), #qa-active:not(:has(p)) { display: none !important; }
#qa-notice p { color: #b42318; margin: 0; }
#qa-active p { margin: 0; font-size: 0.95em; }
#qa-cite-title h3 { margin: 0; }
table.qa-doc-table { width: 100%; border-collapse: collapse; font-size: 0.95em; }
table.qa-doc-table th, table.qa-doc-table td { border-bottom: 1px solid var(--border-color-primary);
  padding: 4px 6px; text-align: left; vertical-align: top; }
table.qa-doc-table td.qa-doc-number { white-space: nowrap; font-weight: 600; }
#qa-doc-detail h3 { margin: 0 0 4px 0; }
"""

# Gradio has no Vietnamese for its own words (its frontend picks a language from the browser and
# knows none for "vi"), so the page translates what Gradio draws: text, aria-labels, titles.
GRADIO_VI = {
    "Drop File Here": "Thả tệp vào đây",
    "- or -": "- hoặc -",
    "Click to Upload": "Bấm để chọn tệp",
    "Drop Files Here": "Thả tệp vào đây",
    "Clear": "Xóa",
    "Copy": "Sao chép",
    "Copy message": "Sao chép tin nhắn",
    "Copy conversation": "Sao chép hội thoại",
    "Copied message": "Đã sao chép",
    "Copied!": "Đã sao chép",
    "Like": "Hữu ích",
    "Dislike": "Không hữu ích",
    "Liked": "Đã đánh giá hữu ích",
    "Disliked": "Đã đánh giá không hữu ích",
    "Retry": "Thử lại",
    "Undo": "Hoàn tác",
    "Edit": "Sửa",
    "Error": "Lỗi",
    "Info": "Thông báo",
    "Warning": "Cảnh báo",
    "Close": "Đóng",
    "Loading...": "Đang tải…",
    "Examples": "Câu hỏi mẫu",
    "Remove": "Bỏ",
    "Remove All": "Bỏ tất cả",
    "Clear All": "Bỏ tất cả",
    "Use via API": "Dùng qua API",
    "Built with Gradio": "Làm bằng Gradio",
    "Settings": "Cài đặt",
    "Chatbot": "Hội thoại",
    "Download": "Tải về",
    "Upload": "Tải lên",
    "Uploading...": "Đang tải lên…",
    "Connection errored out.": "Mất kết nối tới máy chủ.",
    "Could not upload file.": "Không tải được tệp lên.",
    "Login": "Đăng nhập",
    "username": "tên đăng nhập",
    "password": "mật khẩu",
    "Username": "Tên đăng nhập",
    "Password": "Mật khẩu",
    "Incorrect credentials.": "Sai tên đăng nhập hoặc mật khẩu.",
    "Incorrect Credentials": "Sai tên đăng nhập hoặc mật khẩu",
    "Share": "Chia sẻ",
    "Fullscreen": "Toàn màn hình",
    "Exit fullscreen mode": "Thoát toàn màn hình",
    "Scroll down": "Cuộn xuống",
    "Scroll to bottom": "Cuộn xuống cuối",
    "processing": "đang xử lý",
    "Stop Recording": "Dừng ghi",
    "chatbot conversation": "hội thoại",
    "Reset to default value": "Đặt lại giá trị mặc định",
    "Click to upload or drop files": "Bấm để chọn tệp hoặc thả tệp vào đây",
    "File upload": "Tải tệp lên",
    "Gradio footer navigation": "Liên kết cuối trang",
    "Send": "Gửi",
    "Submit": "Gửi",
    "Stop": "Dừng",
    "Select": "Chọn",
    "No results": "Không có kết quả",
    "Loading": "Đang tải",
    "queue": "hàng đợi",
}

# The page's only script: Vietnamese for Gradio's words and lang="vi"; a citation's full article
# scrolls to the cited span and [n] in an answer goes to its card, each scrolling this page's own
# boxes and window only (scrollIntoView would also scroll a host page that embeds this one).
HEAD = """<script>
(function () {
  if (window.__qaVietnamese) { return; }  // in the HTML itself and again in Gradio's head
  window.__qaVietnamese = true;
  var VI = __GRADIO_VI__;
  var ATTRS = ['aria-label', 'title', 'placeholder'];
  function tr(node) {
    if (node.nodeType === 3) {
      var t = node.nodeValue.trim();
      if (t && VI[t] !== undefined) { node.nodeValue = node.nodeValue.replace(t, VI[t]); }
      return;
    }
    if (node.nodeType !== 1) { return; }
    ATTRS.forEach(function (a) {
      var v = node.getAttribute(a);
      if (v && VI[v.trim()] !== undefined) { node.setAttribute(a, VI[v.trim()]); }
    });
    message(node);
    node.querySelectorAll('[data-testid="bot"], [data-testid="user"]').forEach(message);
    var walker = document.createTreeWalker(node, NodeFilter.SHOW_TEXT | NodeFilter.SHOW_ELEMENT);
    var n;
    while ((n = walker.nextNode())) {
      if (n.nodeType === 3) {
        var s = n.nodeValue.trim();
        if (s && VI[s] !== undefined) { n.nodeValue = n.nodeValue.replace(s, VI[s]); }
      } else {
        ATTRS.forEach(function (a) {
          var v = n.getAttribute(a);
          if (v && VI[v.trim()] !== undefined) { n.setAttribute(a, VI[v.trim()]); }
        });
      }
    }
  }
  var WHO = {bot: 'Câu trả lời: ', user: 'Câu hỏi: '};
  function message(el) {  // the chat's aria-label holds the raw Markdown (backslashes, tags): say the shown text
    var m = el && el.closest && el.closest('[data-testid="bot"], [data-testid="user"]');
    if (!m) { return; }
    var c = m.querySelector('.message-content') || m;
    var label = WHO[m.getAttribute('data-testid')] + c.innerText.trim();
    if (m.getAttribute('aria-label') !== label) { m.setAttribute('aria-label', label); }
  }
  function vi() { if (document.documentElement.lang !== 'vi') { document.documentElement.lang = 'vi'; } }
  vi();
  new MutationObserver(function (records) {
    records.forEach(function (r) {
      if (r.type === 'attributes') { if (r.target === document.documentElement) { vi(); } else { tr(r.target); } }
      else if (r.type === 'characterData') { tr(r.target); }
      else { r.addedNodes.forEach(tr); }
      message(r.target.nodeType === 1 ? r.target : r.target.parentElement);
    });
  }).observe(document.documentElement, {subtree: true, childList: true, characterData: true,
                                        attributes: true, attributeFilter: ATTRS.concat(['lang'])});
  if (document.body) { tr(document.body); }
  document.addEventListener('DOMContentLoaded', function () { tr(document.body); });

  function scrollWithin(box, el) {  // scroll box (not its ancestors) so el is in its middle
    var top = el.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
    box.scrollTop = Math.max(0, top - box.clientHeight / 2);
  }
  document.addEventListener('toggle', function (e) {
    var d = e.target;
    if (d.matches && d.matches('details.qa-article') && d.open) {
      var m = d.querySelector('mark.qa-span'), body = d.querySelector('.qa-article-body');
      if (m && body) { scrollWithin(body, m); }
    }
  }, true);
  document.addEventListener('click', function (e) {
    var a = e.target.closest && e.target.closest('a[href^="#cite-"]');
    if (!a) { return; }
    e.preventDefault();
    var card = document.getElementById(a.getAttribute('href').slice(1));
    if (!card) { return; }
    var box = document.getElementById('qa-citations');
    if (box && box.scrollHeight > box.clientHeight) { scrollWithin(box, card); }
    var r = card.getBoundingClientRect();
    if (r.top < 0 || r.bottom > window.innerHeight) { window.scrollTo(0, window.scrollY + r.top - 60); }
    document.querySelectorAll('.qa-cite.qa-target').forEach(function (c) { c.classList.remove('qa-target'); });
    card.classList.add('qa-target');
  }, true);
})();
</script>""".replace("__GRADIO_VI__", json.dumps(GRADIO_VI, ensure_ascii=False))

class VietnameseHtml:
    """ASGI middleware for the page's HTML: `lang="vi"` from the first byte (Gradio's template says
    "en") and the translating script in <head>, so it also runs on the login page, which is drawn
    before Gradio loads the page's own head."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] != "GET":
            return await self.app(scope, receive, send)
        start: dict = {}
        body: list[bytes] = []

        async def capture(message):
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                if not headers.get(b"content-type", b"").startswith(b"text/html") or b"content-encoding" in headers:
                    start["pass"] = True
                    return await send(message)
                start.update(message)
                return None
            if start.get("pass"):
                return await send(message)
            body.append(message.get("body", b""))
            if message.get("more_body"):
                return None
            html_bytes = b"".join(body).replace(b'lang="en"', b'lang="vi"', 1)
            html_bytes = html_bytes.replace(b"</head>", HEAD.encode() + b"</head>", 1)
            headers = [(k, v) for k, v in start.get("headers", []) if k != b"content-length"]
            headers.append((b"content-length", str(len(html_bytes)).encode()))
            await send({"type": "http.response.start", "status": start["status"], "headers": headers})
            await send({"type": "http.response.body", "body": html_bytes})
            return None

        return await self.app(scope, receive, capture)


NO_CITATIONS = "<p>Chưa có trích dẫn.</p>"
NO_YEAR_NOTE = "Bài viết không ghi năm không được tính khi lọc theo ngày."

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|<>~-])")


def escape_markdown(text: str) -> str:
    """Untrusted text shown as literal text in a Markdown/HTML component."""
    return _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


def _mark(text: str, start: int, end: int, spans: list[tuple[int, int]], cls: str) -> str:
    """Escape text[start:end] with the given absolute spans wrapped in <mark class=cls>."""
    out, pos = [], start
    for a, b in sorted(spans):
        a, b = max(a, pos), min(b, end)
        if a >= b:
            continue
        out += [html.escape(text[pos:a]), f'<mark class="{cls}">', html.escape(text[a:b]), "</mark>"]
        pos = b
    out.append(html.escape(text[pos:end]))
    return "".join(out)


MAX_HISTORY = 20  # earlier questions a follow-up is completed from (as the API's limit)


def render_citations(answer: Answer, articles: dict) -> str:
    """The citation cards: metadata, the passage with the quoted sentence marked, the full article on
    demand. Without an answer, the closest passages are shown as related reading under their own heading."""
    shown = answer.citations or answer.related
    if not shown:
        return NO_CITATIONS
    cards = [] if answer.citations else ['<p class="qa-related-head"><strong>Đoạn văn liên quan</strong> '
                                          '(để tham khảo, không phải câu trả lời)</p>']
    for c in shown:
        quoted = [(a, b) for n, a, b in answer.highlights if n == c.n]
        meta = " · ".join(html.escape(x) for x in (c.source, display_date(c.date), c.province,
                                                     f"trang {c.page}" if c.page else None) if x)
        if c.ocr:
            meta += OCR_MARK
        art = articles.get(c.article_id)
        body = article_body(art, c.start, c.end) if art else ""
        cards.append(
            f'<div class="qa-cite" id="cite-{c.n}" data-article="{html.escape(c.article_id)}">'
            f'<div class="qa-cite-head">[{c.n}] {_title_link(c.title or c.file, c.url)}</div>'
            f'<div class="qa-cite-meta">{meta}</div>'
            f'<div class="qa-passage">{_mark(c.text, 0, len(c.text), [(a - c.start, b - c.start) for a, b in quoted], "qa-sentence")}</div>'
            f'<details class="qa-article"><summary>Xem toàn bài{f" (trang {c.page})" if c.page else ""}</summary>'
            f'<div class="qa-article-body">{body}</div></details></div>'
        )
    return "\n".join(cards)




OCR_MARK = ' <span class="qa-ocr" title="Chữ được nhận dạng (OCR) từ bản quét, có thể sai chữ">OCR</span>'


def article_body(art, start: int, end: int) -> str:
    """The whole article with text[start:end] marked; a paged document (PDF, TIFF) shows where each
    page starts ("Trang 3", with "OCR" on a page read from a scan), the cited page(s) emphasised."""
    pages = art.meta.pages
    if not pages:
        return _mark(art.text, 0, len(art.text), [(start, end)], "qa-span")
    bounds = [*pages, len(art.text)]
    cited = range(art.meta.page_at(start) or 0, (art.meta.page_at(max(start, end - 1)) or 0) + 1)
    out = []
    for n, (a, b) in enumerate(zip(bounds, bounds[1:]), start=1):
        if a >= b:
            continue  # a blank page
        ocr = OCR_MARK if n in art.meta.ocr_pages else ""
        cls = "qa-page qa-page-cited" if n in cited else "qa-page"
        out.append(f'<div class="{cls}" data-page="{n}"><div class="qa-page-no">Trang {n}{ocr}</div>'
                   f'{_mark(art.text, a, b, [(start, end)], "qa-span")}</div>')
    return "".join(out)


def _title_link(title: str, url: str | None) -> str:
    """A citation's title, linked to its original page when it has one that is safe to open
    (http(s) only; a new tab that gets neither this page's window nor its address)."""
    link = safe_link(url)
    if link is None:
        return html.escape(title)
    return (f'<a class="qa-cite-link" href="{html.escape(link, quote=True)}" target="_blank" '
            f'rel="noopener noreferrer" title="Mở bài gốc">{html.escape(title)}</a>')


MAX_SOURCE_CHARS = 2000
SHOWN_REFUSALS = 5


def describe_sources(report: pipeline.IngestReport) -> str:
    """What adding a source did, in Vietnamese (Markdown, every name escaped)."""
    done = []
    if report.added:
        done.append(f"đã nạp {len(report.added)} bài mới ({report.chunks_added} đoạn)")
    if report.unchanged:
        done.append(f"{len(report.unchanged)} bài không thay đổi")
    if report.duplicates:
        done.append(f"{len(report.duplicates)} bài trùng nội dung với bài đã có")
    lines = []
    if done:
        text = "; ".join(done)
        lines.append(text[0].upper() + text[1:] + (" — có thể hỏi ngay." if report.added else "."))
    if report.refused:
        lines.append(f"Không nạp được {len(report.refused)} địa chỉ:" if done or len(report.refused) > 1
                     else "Không nạp được:")
        for r in report.refused[:SHOWN_REFUSALS]:
            lines.append(f"- {escape_markdown(r.vi or vietnamese_reason(r.reason))}")
        if len(report.refused) > SHOWN_REFUSALS:
            lines.append(f"- … và {len(report.refused) - SHOWN_REFUSALS} địa chỉ khác.")
    lines += [f"_{escape_markdown(n.vi)}_" for n in report.notices]
    return "\n".join(lines) or "Không có bài nào để nạp."


# An answer from a sharded index some of whose shards did not answer (qa/cluster/search.py).
PARTIAL_NOTICE = ("_Lưu ý: một phần chỉ mục tạm thời không truy cập được; câu trả lời chỉ dựa trên "
                  "các bài viết còn lại và có thể thiếu._")


# The page of a cluster (QA_SEARCH) does not write: the shards are written by `qa ingest --cluster`.
CLUSTER_INGEST = ("Chỉ mục đang chạy trên cụm máy chủ; quản trị viên nạp bài bằng lệnh "
                  "`qa ingest --cluster … --shards N`.")


def render_answer(answer: Answer, search_only: bool = False) -> str:
    """The chat text of an answer, escaped: the question as understood (when a follow-up was completed),
    the short answer in bold, then the quoted sentence(s) with [n] linking to the citation card; or the
    plain "not found" sentence."""
    if answer.partial:
        return PARTIAL_NOTICE + "\n\n" + render_answer(replace(answer, partial=False), search_only)
    if search_only:
        return f"Tìm thấy {len(answer.citations or answer.related)} đoạn văn liên quan (xem danh sách trích dẫn)."
    parts = []
    if answer.resolved_question and answer.resolved_question != answer.question:
        parts.append(f"_Câu hỏi được hiểu là: {escape_markdown(answer.resolved_question)}_")
    if not answer.found or not answer.sentences:
        parts.append(escape_markdown(answer.answer))
        if answer.related:
            parts.append("Xem các đoạn văn liên quan bên cạnh (không phải câu trả lời).")
        return "\n\n".join(parts)
    if answer.short_answer:
        parts.append(f"**{escape_markdown(answer.short_answer.text)}**")
    n = answer.sentences[0].n
    quote = escape_markdown(" ".join(q.text for q in answer.sentences))
    parts.append(f'{quote} <a href="#cite-{n}">[{n}]</a>')
    return "\n\n".join(parts)


def _date(label: str, value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return iso_date(value)
    except ValueError:
        raise InputError(f"{label}: not a date", f"{label} phải là một ngày có thật, dạng YYYY-MM-DD "
                         "(ví dụ 2021-06-22).") from None


def _filters(provinces: list[str] | None, date_from: str | None, date_to: str | None) -> Filters:
    """The page's filters, or InputError with a Vietnamese sentence."""
    start, end = _date("Từ ngày", date_from), _date("Đến ngày", date_to)
    if start and end and start > end:
        raise InputError("reversed date range", f"Từ ngày ({start}) phải trước hoặc bằng Đến ngày ({end}).")
    names = [p for p in provinces or () if isinstance(p, str)]
    unknown = [p for p in names if not gazetteer.related(p)]
    if unknown:
        raise InputError("unknown province", f"Không có tỉnh/thành tên “{unknown[0]}”.")
    return Filters(tuple(names), start, end)


def describe_filters(provinces, date_from, date_to) -> str:
    """The active filters as one line shown beside the question ("" when none)."""
    parts = []
    if provinces:
        parts.append("tỉnh/thành " + ", ".join(html.escape(str(p)) for p in provinces))
    if (date_from or "").strip():
        parts.append("từ ngày " + html.escape(date_from.strip()))
    if (date_to or "").strip():
        parts.append("đến ngày " + html.escape(date_to.strip()))
    if not parts:
        return ""
    note = f" ({NO_YEAR_NOTE[0].lower()}{NO_YEAR_NOTE[1:]})" if (date_from or "").strip() or (date_to or "").strip() else ""
    return "🔎 Đang lọc: " + "; ".join(parts) + note


def province_choices() -> list[str]:
    """Every province name, pre-2025 and post-2025 (the API accepts both), in Vietnamese order."""
    return sorted(set(gazetteer.OLD_PROVINCES) | set(gazetteer.NEW_PROVINCES), key=lambda n: (fold(n), n))


# The refusal reasons of qa.decode/qa.ingest are English sentences; the page says them in Vietnamese.
_VI_REASONS = [
    (re.compile(r"binary data|not a text file"), "tệp chứa dữ liệu nhị phân, không phải văn bản"),
    (re.compile(r"legacy (.+?) font encoding"), "văn bản dùng bảng mã cũ {0}, không phải Unicode; hãy chuyển sang "
                                                "Unicode trước (ví dụ bằng công cụ chuyển mã của UniKey)"),
    (re.compile(r"is empty|contains no text"), "tệp không có nội dung"),
    (re.compile(r"over the .* limit"), "tệp vượt quá giới hạn dung lượng"),
    (re.compile(r"encoding could not be recognised|byte-order mark"), "không nhận ra bảng mã của văn bản; hãy lưu tệp "
                                                                      "dạng UTF-8 rồi thử lại"),
    (re.compile(r"no article text"), "không tìm thấy nội dung bài viết trong tệp"),
    (re.compile(r"is not supported|unsupported file type"), "chỉ nhận tệp " + ", ".join(SUPPORTED_SUFFIXES)),
]


def vietnamese_reason(reason: str) -> str:
    """A refusal reason in Vietnamese (a general sentence for a reason this table does not know)."""
    for pattern, vi in _VI_REASONS:
        m = pattern.search(reason)
        if m:
            return vi.format(*m.groups())
    return "tệp này không dùng được làm bài viết"


def _uploaded_file(file_path) -> Path:
    """The file Gradio received from the browser, or InputError: only a regular file inside Gradio's
    own upload folder is read, never a path the client names."""
    raw = getattr(file_path, "path", file_path)
    if not raw or not isinstance(raw, (str, Path)):
        raise InputError("no file", "Chưa chọn tệp.")
    folder = Path(get_upload_folder()).resolve()
    path = Path(raw)
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        real = None
    if real is None or path.is_symlink() or not real.is_relative_to(folder) or not real.is_file():
        log.warning("upload refused: %r is not a file Gradio received", str(raw)[:200])
        raise InputError("not an uploaded file", "Tệp này không phải tệp vừa tải lên; hãy chọn lại tệp.")
    return real


def store_upload(src: Path, upload_dir: Path, max_bytes: int) -> tuple[Path, bool]:
    """Keep an uploaded file as upload_dir/<hash of its bytes>/<its name>: another file with the same
    name never replaces it. Returns the stored path and whether it was new."""
    if suffix_of(src) not in SUPPORTED_SUFFIXES:
        raise InputError("unsupported type", f"Chỉ nhận tệp {', '.join(SUPPORTED_SUFFIXES)}.")
    with src.open("rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError("too large", f"Tệp lớn hơn {max_bytes / 1024 / 1024:g} MB.")
    folder = upload_dir / hashlib.sha256(data).hexdigest()[:20]
    dest = folder / _safe_name(src.name)
    if dest.exists():
        return dest, False
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{dest.name}.part"
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    return dest, True


def max_upload_mb(settings: Settings) -> float:
    """The largest file the page takes: a text article's limit, or a document's (PDF, DOCX, scan)."""
    return max(settings.max_file_mb, settings.max_document_mb)


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w.\- ]+", "", Path(name).name).strip().replace(" ", "_").lstrip(".") or "bai-viet.txt"
    return stem[-120:]


def build(assistant: Assistant, settings: Settings, credentials=None) -> gr.Blocks:
    """The chat page for one assistant, with the "Văn bản" tab (the register of cited documents).
    `credentials` (api.Credentials) guard the `ask` API endpoint when an API token is configured."""
    from . import ui_register  # it draws with this module's helpers

    def respond(message, history, provinces, date_from, date_to, search_only, k, answers):
        history = list(history or [])
        answers = dict(answers or {})
        question = (message or "").strip() if isinstance(message, str) else ""
        try:
            if not question:
                raise InputError("empty", "Vui lòng nhập câu hỏi.")
            filters = _filters(provinces, date_from, date_to)
            k = _k(k, 10)
        except InputError as exc:  # a note under the question, not a modal over the chat
            yield message, history, gr.update(), answers, exc.vi
            return
        history.append({"role": "user", "content": escape_markdown(question)})
        history.append({"role": "assistant", "content": "Đang tìm trong các bài viết…"})
        yield "", history, gr.update(), answers, ""
        turn = str(len(history) - 1)
        earlier = [a["question"] for _, a in sorted(answers.items(), key=lambda kv: int(kv[0])) if not a.get("error")]
        try:
            answer = assistant.ask(question, k, filters, history=earlier[-MAX_HISTORY:])
            shown = answer.citations or answer.related
            articles = assistant.reader().metas({c.article_id for c in shown}) if shown else {}
        except QAError as exc:
            text = f"Không trả lời được: {escape_markdown(exc.vi)}"
            history[-1] = {"role": "assistant", "content": text}
            answers[turn] = {"question": question, "answer": exc.vi, "citations": [], "error": True}
            yield "", history, NO_CITATIONS, answers, ""
            return
        history[-1] = {"role": "assistant", "content": render_answer(answer, search_only)}
        answers[turn] = answer.to_json()
        yield "", history, render_citations(answer, articles), answers, ""

    def feedback(data: gr.LikeData, answers):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        ans = (answers or {}).get(str(index))
        if ans is None:
            log.warning("feedback for message %s, which has no recorded answer", index)
            return
        row = {"time": time.time(), "useful": bool(data.liked), "question": ans["question"], "answer": ans["answer"],
               "citations": [c["article_id"] + ":" + f"{c['start']}-{c['end']}" for c in ans["citations"]]}
        if ans.get("error"):
            row["error"] = True
        path = Path(settings.feedback_log)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        gr.Info("Cảm ơn phản hồi của bạn.", title="Thông báo")

    def upload(file_path):
        if settings.search:
            return CLUSTER_INGEST
        try:
            src = _uploaded_file(file_path)
            limit = int(max_upload_mb(settings) * 1024 * 1024)
            dest, created = store_upload(src, Path(settings.upload_dir), limit)
        except InputError as exc:
            return f"Không nạp được: {escape_markdown(exc.vi)}"
        except OSError as exc:
            log.warning("upload could not be stored: %s", exc)
            return "Không nạp được: không lưu được tệp trên máy chủ."
        name = escape_markdown(dest.name)
        try:
            report = pipeline.ingest([dest], settings, embedder=assistant.embedder)
        except QAError as exc:
            return f"Không nạp được: {escape_markdown(exc.vi)}"
        if report.refused:
            if created:  # only the copy this call stored; a file kept from an earlier upload stays
                shutil.rmtree(dest.parent, ignore_errors=True)
            refusal = report.refused[0]
            return f"Không nạp được **{name}**: {escape_markdown(refusal.vi or vietnamese_reason(refusal.reason))}."
        if report.added:
            return f"Đã nạp **{name}** ({report.chunks_added} đoạn); có thể hỏi ngay."
        return f"**{name}** đã có trong chỉ mục."

    def add_source(url, progress=gr.Progress()):
        """The admin's "Thêm nguồn": a web page, an RSS/Atom feed or a sitemap, by URL. Only a URL is
        passed on (never a path on the server); the outcome in Vietnamese."""
        if settings.search:
            return CLUSTER_INGEST
        text = url.strip() if isinstance(url, str) else ""
        if not text:
            return "Vui lòng nhập địa chỉ của một trang web, nguồn tin RSS/Atom hoặc sơ đồ trang (sitemap)."
        if len(text) > MAX_SOURCE_CHARS or not is_url(text):
            return "Không nạp được: địa chỉ phải bắt đầu bằng http:// hoặc https:// (tối đa 2000 ký tự)."

        def track(items, total):
            return progress.tqdm(items, total=total, desc="Đang tải và nạp bài")

        try:
            report = pipeline.ingest([text], settings, embedder=assistant.embedder, progress=track)
        except QAError as exc:
            return f"Không nạp được: {escape_markdown(exc.vi)}"
        return describe_sources(report)

    def ask_api(question: str, k: int = 5, request: gr.Request = None) -> dict:
        """Answer a question with cited passages (the same JSON as `qa ask --json`)."""
        if settings.api_token and credentials is not None and not getattr(request, "username", None):
            if not credentials.ok(request.headers.get("authorization") if request else None):
                raise gr.Error("Thiếu hoặc sai mã truy cập (Authorization: Bearer …).", title="Lỗi",
                               print_exception=False)
        try:
            return assistant.ask(question, _k(k, MAX_K)).to_json()
        except QAError as exc:
            raise gr.Error(exc.vi, title="Lỗi", print_exception=False) from exc

    with gr.Blocks(title="Hỏi đáp tin tức") as page:
        gr.Markdown("## Hỏi đáp tin tức\nĐặt câu hỏi bằng tiếng Việt (có hoặc không dấu) hoặc tiếng Anh; "
                    "mỗi câu trả lời kèm đoạn trích từ bài viết gốc.", elem_id="qa-title")
        answers = gr.State({})  # assistant message index → the answer it shows (for 👍/👎)
        with gr.Tabs(elem_id="qa-tabs"):
            with gr.Tab("Hỏi đáp", elem_id="qa-tab-ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=320):
                        chat = gr.Chatbot(label="Hội thoại", height=340, elem_id="qa-chat", sanitize_html=True,
                                          buttons=["copy"], feedback_options=("Like", "Dislike"))
                    with gr.Column(scale=2, min_width=320):
                        gr.Markdown("### Trích dẫn", elem_id="qa-cite-title")
                        citations = gr.HTML(NO_CITATIONS, elem_id="qa-citations", max_height=330)
                question = gr.Textbox(label="Câu hỏi", placeholder="Ví dụ: Tỉnh nào tụt 17 bậc chỉ số PAR Index?",
                                      elem_id="qa-question", lines=1)
                notice = gr.Markdown("", elem_id="qa-notice")
                active = gr.Markdown("", elem_id="qa-active")
                with gr.Row():
                    send = gr.Button("Gửi câu hỏi", variant="primary", elem_id="qa-send")
                    clear = gr.Button("Xóa hội thoại", elem_id="qa-clear")
                gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu")
                with gr.Accordion("Bộ lọc và chế độ tìm kiếm", open=False, elem_id="qa-filters"):
                    with gr.Row():
                        provinces = gr.Dropdown(choices=province_choices(), multiselect=True, label="Tỉnh/thành (tên cũ hoặc mới)",
                                                elem_id="qa-provinces")
                        date_from = gr.Textbox(label="Từ ngày (YYYY-MM-DD)", max_length=10, elem_id="qa-date-from")
                        date_to = gr.Textbox(label="Đến ngày (YYYY-MM-DD)", max_length=10, elem_id="qa-date-to")
                    gr.Markdown(NO_YEAR_NOTE)
                    with gr.Row():
                        search_only = gr.Checkbox(label="Chỉ liệt kê đoạn văn (không soạn câu trả lời)")
                        k = gr.Slider(1, 10, value=min(settings.top_k, 10), step=1, label="Số trích dẫn")
                with gr.Accordion("Nạp bài viết mới", open=False):
                    file = gr.File(label="Tệp bài viết (.txt, .md, .html, .pdf, .docx, ảnh quét .png/.jpg/.tif)",
                                   file_types=list(SUPPORTED_SUFFIXES),
                                   type="filepath", elem_id="qa-upload")
                    load = gr.Button("Nạp vào chỉ mục", elem_id="qa-load")
                    status = gr.Markdown()
                with gr.Accordion("Thêm nguồn (quản trị)", open=False, elem_id="qa-sources"):
                    source = gr.Textbox(label="Địa chỉ trang web, nguồn tin RSS/Atom hoặc sơ đồ trang (sitemap)",
                                        placeholder="https://…", max_lines=1, max_length=MAX_SOURCE_CHARS, elem_id="qa-source")
                    fetch = gr.Button("Thêm nguồn", elem_id="qa-add-source")
                    source_status = gr.Markdown(elem_id="qa-source-status")

            with gr.Tab("Văn bản", elem_id="qa-tab-documents") as documents_tab:
                ui_register.build(assistant, documents_tab)

        gr.api(ask_api, api_name="ask")
        inputs = [question, chat, provinces, date_from, date_to, search_only, k, answers]
        outputs = [question, chat, citations, answers, notice]
        private = {"api_visibility": "private"}
        send.click(respond, inputs, outputs, **private)
        question.submit(respond, inputs, outputs, **private)
        reset = (lambda: ([], NO_CITATIONS, {}, ""), None, [chat, citations, answers, notice])
        clear.click(*reset, **private)
        chat.clear(*reset, **private)  # the chat's own 🗑 button: forget the answers too
        chat.like(feedback, [answers], None, **private)
        load.click(upload, [file], [status], **private)
        fetch.click(add_source, [source], [source_status], **private)
        source.submit(add_source, [source], [source_status], **private)
        for box in (provinces, date_from, date_to):
            box.change(describe_filters, [provinces, date_from, date_to], [active], **private)
    return page


def _k(k, most: int) -> int:
    """A number of citations asked for, or InputError (k=1e9 or NaN would return every chunk or fail)."""
    try:
        value = float(k)
    except (TypeError, ValueError):
        value = float("nan")
    if not (1 <= value <= most) or value != int(value):
        raise InputError(f"k must be a whole number from 1 to {most}.", f"Số trích dẫn phải là số nguyên từ 1 đến {most}.")
    return int(value)
