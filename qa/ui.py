"""The Gradio chat page (Vietnamese UI): ask, read cited passages, open the full article, filter, upload, rate."""

from __future__ import annotations

import html
import json
import logging
import re
import shutil
import time
from pathlib import Path

import gradio as gr

from . import pipeline
from .config import Settings
from .errors import QAError
from .pipeline import Assistant
from .records import Answer
from .retrieve import Filters
from .text import display_date

log = logging.getLogger(__name__)

EXAMPLES = [
    "Tỉnh nào tụt 17 bậc chỉ số PAR Index?",
    "Nghị quyết 17-NQ/TU của Tỉnh ủy Hà Nam ban hành ngày nào?",
    "nghi quyet 57 cai cach hanh chinh lang son",
    "Who is the Party Secretary of Lang Son province?",
]

CSS = """
.qa-cite { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; margin: 0 0 8px 0; }
.qa-cite-head { font-weight: 600; }
.qa-cite-meta { color: var(--body-text-color-subdued); font-size: 0.9em; }
.qa-passage, .qa-article-body { white-space: pre-wrap; }
.qa-article-body { max-height: 420px; overflow-y: auto; border-top: 1px solid var(--border-color-primary);
  margin-top: 6px; padding-top: 6px; }
mark.qa-span { background: #ffe58f; color: inherit; }
mark.qa-sentence { background: #fff1b8; color: inherit; font-weight: 600; }
"""

# Opening a citation's full article scrolls it to the cited span (no other script on the page).
HEAD = """<script>
document.addEventListener('toggle', function (e) {
  var d = e.target;
  if (d.matches && d.matches('details.qa-article') && d.open) {
    var m = d.querySelector('mark.qa-span');
    if (m) { m.scrollIntoView({block: 'center'}); }
  }
}, true);
</script>"""

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


def render_citations(answer: Answer, articles: dict) -> str:
    """The citation cards: metadata, the passage with the quoted sentence marked, the full article on demand."""
    if not answer.citations:
        return "<p>Chưa có trích dẫn.</p>"
    cards = []
    for c in answer.citations:
        quoted = [(a, b) for n, a, b in answer.highlights if n == c.n]
        meta = " · ".join(html.escape(x) for x in (c.source, display_date(c.date), c.province) if x)
        art = articles.get(c.article_id)
        body = _mark(art.text, 0, len(art.text), [(c.start, c.end)], "qa-span") if art else ""
        cards.append(
            f'<div class="qa-cite" id="cite-{c.n}" data-article="{html.escape(c.article_id)}">'
            f'<div class="qa-cite-head">[{c.n}] {html.escape(c.title or c.file)}</div>'
            f'<div class="qa-cite-meta">{meta}</div>'
            f'<div class="qa-passage">{_mark(c.text, 0, len(c.text), [(a - c.start, b - c.start) for a, b in quoted], "qa-sentence")}</div>'
            f'<details class="qa-article"><summary>Xem toàn bài</summary>'
            f'<div class="qa-article-body">{body}</div></details></div>'
        )
    return "\n".join(cards)


def _filters(provinces: list[str] | None, date_from: str, date_to: str) -> Filters:
    for label, value in (("Từ ngày", date_from), ("Đến ngày", date_to)):
        if value and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            raise gr.Error(f"{label} phải có dạng YYYY-MM-DD.")
    return Filters(tuple(provinces or ()), (date_from or "").strip() or None, (date_to or "").strip() or None)


def _safe_name(name: str) -> str:
    stem = re.sub(r"[^\w.\- ]+", "", Path(name).name).strip().replace(" ", "_") or "bai-viet"
    return stem[-120:]


def build(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The chat page for one assistant."""

    def province_choices() -> list[str]:
        try:
            names = {p for a in assistant.reader().catalogue() for p in a.meta.provinces}
        except QAError:
            return []
        return sorted(names)

    def respond(message, history, provinces, date_from, date_to, search_only, k, answers):
        history = list(history or [])
        question = (message or "").strip()
        if not question:
            raise gr.Error("Vui lòng nhập câu hỏi.")
        filters = _filters(provinces, date_from, date_to)
        history.append({"role": "user", "content": escape_markdown(question)})
        history.append({"role": "assistant", "content": "Đang tìm trong các bài viết…"})
        yield "", history, gr.update(), answers
        try:
            answer = assistant.ask(question, int(k), filters)
        except QAError as exc:
            history[-1] = {"role": "assistant", "content": f"Không trả lời được: {escape_markdown(exc.vi)}"}
            yield "", history, gr.update(), answers
            return
        articles = assistant.reader().metas({c.article_id for c in answer.citations}) if answer.citations else {}
        if search_only:
            text = f"Tìm thấy {len(answer.citations)} đoạn văn liên quan (xem danh sách trích dẫn)."
        else:
            text = escape_markdown(answer.answer)
        history[-1] = {"role": "assistant", "content": text}
        answers = list(answers or []) + [answer.to_json()]
        yield "", history, render_citations(answer, articles), answers

    def feedback(data: gr.LikeData, answers):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn = int(index) // 2
        if not answers or turn >= len(answers):
            return
        ans = answers[turn]
        row = {"time": time.time(), "useful": bool(data.liked), "question": ans["question"], "answer": ans["answer"],
               "citations": [c["article_id"] + ":" + f"{c['start']}-{c['end']}" for c in ans["citations"]]}
        path = Path(settings.feedback_log)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        gr.Info("Cảm ơn phản hồi của bạn.")

    def upload(file_path):
        if not file_path:
            raise gr.Error("Chưa chọn tệp.")
        src = Path(file_path)
        if src.suffix.lower() not in (".txt", ".md", ".html", ".htm"):
            raise gr.Error("Chỉ nhận tệp .txt, .md, .html.")
        if src.stat().st_size > settings.max_file_mb * 1024 * 1024:
            raise gr.Error(f"Tệp lớn hơn {settings.max_file_mb:g} MB.")
        dest_dir = Path(settings.upload_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        dest = dest_dir / _safe_name(src.name)
        shutil.copyfile(src, dest)
        try:
            report = pipeline.ingest([dest], settings, embedder=assistant.embedder)
        except QAError as exc:
            raise gr.Error(f"Không nạp được: {exc.vi}") from exc
        if report.refused:
            dest.unlink(missing_ok=True)
            return f"Không nạp được: {escape_markdown(report.refused[0].reason)}", gr.update()
        if report.added:
            msg = f"Đã nạp **{escape_markdown(dest.name)}** ({report.chunks_added} đoạn); có thể hỏi ngay."
        else:
            msg = f"**{escape_markdown(dest.name)}** đã có trong chỉ mục."
        return msg, gr.update(choices=province_choices())

    with gr.Blocks(title="Hỏi đáp tin tức") as page:
        gr.Markdown("# Hỏi đáp tin tức\nĐặt câu hỏi bằng tiếng Việt (có hoặc không dấu) hoặc tiếng Anh; "
                    "mỗi câu trả lời kèm đoạn trích từ bài viết gốc.")
        answers = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Hội thoại", height=460, elem_id="qa-chat", sanitize_html=True,
                                  feedback_options=("Like", "Dislike"))
                question = gr.Textbox(label="Câu hỏi", placeholder="Ví dụ: Tỉnh nào tụt 17 bậc chỉ số PAR Index?",
                                      elem_id="qa-question", lines=1, max_length=settings.max_question_chars)
                with gr.Row():
                    send = gr.Button("Gửi câu hỏi", variant="primary", elem_id="qa-send")
                    clear = gr.Button("Xóa hội thoại", elem_id="qa-clear")
                gr.Examples(EXAMPLES, inputs=question, label="Câu hỏi mẫu")
            with gr.Column(scale=2):
                gr.Markdown("### Trích dẫn")
                citations = gr.HTML("<p>Chưa có trích dẫn.</p>", elem_id="qa-citations")
        with gr.Accordion("Bộ lọc và chế độ tìm kiếm", open=False):
            with gr.Row():
                provinces = gr.Dropdown(choices=province_choices(), multiselect=True, label="Tỉnh/thành")
                date_from = gr.Textbox(label="Từ ngày (YYYY-MM-DD)", max_length=10)
                date_to = gr.Textbox(label="Đến ngày (YYYY-MM-DD)", max_length=10)
            with gr.Row():
                search_only = gr.Checkbox(label="Chỉ liệt kê đoạn văn (không soạn câu trả lời)")
                k = gr.Slider(1, 10, value=settings.top_k, step=1, label="Số trích dẫn")
        with gr.Accordion("Nạp bài viết mới", open=False):
            file = gr.File(label="Tệp bài viết (.txt, .md, .html)", file_types=[".txt", ".md", ".html", ".htm"],
                           type="filepath", elem_id="qa-upload")
            load = gr.Button("Nạp vào chỉ mục", elem_id="qa-load")
            status = gr.Markdown()

        def ask_api(question: str, k: int = 5) -> dict:
            """Answer a question with cited passages (the same JSON as `qa ask --json`)."""
            try:
                return assistant.ask(question, int(k)).to_json()
            except QAError as exc:
                raise gr.Error(exc.vi) from exc

        gr.api(ask_api, api_name="ask")
        inputs = [question, chat, provinces, date_from, date_to, search_only, k, answers]
        outputs = [question, chat, citations, answers]
        send.click(respond, inputs, outputs)
        question.submit(respond, inputs, outputs)
        clear.click(lambda: ([], "<p>Chưa có trích dẫn.</p>", []), None, [chat, citations, answers])
        chat.like(feedback, [answers], None)
        load.click(upload, [file], [status, provinces])
    return page
