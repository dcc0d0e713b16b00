"""The page's "Văn bản" tab: the register of documents the articles cite, and each one's passages."""

from __future__ import annotations

import html
import logging

import gradio as gr

from .errors import QAError
from .pipeline import Assistant
from .register import Document, Reference
from .text import display_date
from .ui import _mark

log = logging.getLogger(__name__)

INTRO = (
    "### Sổ văn bản\nCác văn bản (nghị quyết, quyết định, kết luận, kế hoạch…) mà các bài viết đã nạp nhắc "
    "đến. Chọn một số hiệu để xem mọi bài viết và đoạn văn nhắc đến văn bản đó."
)
NO_DOCUMENT = "<p>Chọn một số hiệu văn bản ở trên.</p>"
EMPTY = "<p>Các bài viết đã nạp chưa nhắc đến văn bản nào có số hiệu.</p>"


def _cell(value: str | None) -> str:
    return html.escape(value) if value else "—"


def render_list(docs: list[Document]) -> str:
    """The register as a table: number, kind, date, issuer, subject, articles citing it."""
    if not docs:
        return EMPTY
    rows = "".join(
        f'<tr data-number="{html.escape(d.number)}"><td class="qa-doc-number">{html.escape(d.number)}</td>'
        f"<td>{_cell(d.kind)}</td><td>{_cell(display_date(d.date))}</td><td>{_cell(d.issuer)}</td>"
        f"<td>{_cell(d.subject)}</td><td>{d.articles}</td></tr>"
        for d in docs
    )
    return (
        '<table class="qa-doc-table"><thead><tr><th>Số hiệu</th><th>Loại</th><th>Ngày ban hành</th>'
        f"<th>Cơ quan ban hành</th><th>Trích yếu</th><th>Số bài viết</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def render_document(doc: Document, refs: list[Reference], texts: dict[str, str]) -> str:
    """One document: what the articles state about it, then each article citing it with the passages
    (the mention marked) and the whole article on demand (every mention marked)."""
    meta = " · ".join(
        x
        for x in (
            f"Ngày ban hành: {display_date(doc.date)}" if doc.date else "",
            f"Cơ quan ban hành: {html.escape(doc.issuer)}" if doc.issuer else "",
        )
        if x
    )
    parts = [f"<h3>{html.escape((doc.kind + ' ') if doc.kind else '')}{html.escape(doc.number)}</h3>"]
    if meta:
        parts.append(f'<p class="qa-cite-meta">{meta}</p>')
    if doc.subject:
        parts.append(f"<p><strong>Trích yếu:</strong> {html.escape(doc.subject)}</p>")
    parts.append(f"<p>Được nhắc đến {doc.mentions} lần trong {doc.articles} bài viết:</p>")
    by_article: dict[str, list[Reference]] = {}
    for r in refs:
        by_article.setdefault(r.article_id, []).append(r)
    for article_id, rs in by_article.items():
        first = rs[0]
        text = texts.get(article_id, "")
        passages = []
        for r in rs:
            p = r.passage
            body = (
                _mark(text, p["start"], p["end"], [(r.start, r.end)], "qa-sentence") if text else html.escape(p["text"])
            )
            passages.append(f'<div class="qa-passage qa-doc-passage">{body}</div>')
        whole = _mark(text, 0, len(text), [(r.start, r.end) for r in rs], "qa-span") if text else ""
        meta = " · ".join(html.escape(x) for x in (first.file, display_date(first.article_date)) if x)
        parts.append(
            f'<div class="qa-cite qa-doc-article" data-article="{html.escape(article_id)}">'
            f'<div class="qa-cite-head">{html.escape(first.title or first.file)}</div>'
            f'<div class="qa-cite-meta">{meta}</div>{"".join(passages)}'
            f'<details class="qa-article"><summary>Xem toàn bài</summary>'
            f'<div class="qa-article-body">{whole}</div></details></div>'
        )
    return "\n".join(parts)


def build(assistant: Assistant, tab: gr.Tab) -> None:
    """The tab's components and events (all private: the page's own, not a public API)."""

    def load():
        try:
            docs = assistant.documents()
        except QAError as exc:
            return f"<p>{html.escape(exc.vi)}</p>", gr.update(choices=[], value=None)
        choices = [(f"{d.number} — {d.kind}" if d.kind else d.number, d.number) for d in docs]
        return render_list(docs), gr.update(choices=choices)

    def show(number):
        if not number or not isinstance(number, str):
            return NO_DOCUMENT
        try:
            doc, refs = assistant.document(number)
            arts = assistant.reader().metas({r.article_id for r in refs})
        except QAError as exc:
            return f'<p class="qa-doc-error">{html.escape(exc.vi)}</p>'
        return render_document(doc, refs, {k: a.text for k, a in arts.items()})

    gr.Markdown(INTRO)
    with gr.Row():
        number = gr.Dropdown(
            choices=[], value=None, label="Số hiệu văn bản", allow_custom_value=True, elem_id="qa-doc-number", scale=3
        )
        refresh = gr.Button("Làm mới danh sách", elem_id="qa-doc-refresh", scale=1)
    detail = gr.HTML(NO_DOCUMENT, elem_id="qa-doc-detail")
    gr.Markdown("#### Danh sách văn bản")
    table = gr.HTML("", elem_id="qa-doc-list")
    private = {"api_visibility": "private"}
    tab.select(load, None, [table, number], **private)
    refresh.click(load, None, [table, number], **private)
    number.change(show, [number], [detail], **private)
