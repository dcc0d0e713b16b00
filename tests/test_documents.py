"""PDF, DOCX and scanned files: real files made by real writers (tests/docfiles.py), read by the real
ingest, refused one by one, cited with their page (and OCR mark) by the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import docfiles
import pytest
from conftest import SEEDS
from docfiles import PAGE1, PAGE2, PAGE3, SCANNED

from qa import ocr
from qa.config import ConfigError, Settings
from qa.errors import InputError
from qa.ingest import load_article

QA = [sys.executable, "-m", "qa.cli"]
OCR_MISSING = ocr.unavailable("vie")
needs_ocr = pytest.mark.skipif(OCR_MISSING is not None, reason=f"Tesseract: {OCR_MISSING and OCR_MISSING[0]}")


def _load(path: Path, settings: Settings | None = None):
    s = settings or Settings()
    return load_article(path, int(s.max_file_mb * 1024 * 1024), s.max_article_chars, s)


def _run(args, index_dir, **env):
    full = {**os.environ, "QA_INDEX_DIR": str(index_dir), **env}
    return subprocess.run(QA + args, capture_output=True, text=True, env=full, timeout=600)


def test_pdf_is_read_page_by_page_with_exact_vietnamese_text_and_page_starts(tmp_path):
    art = _load(docfiles.pdf(tmp_path / "quyet-dinh.pdf", [PAGE1, PAGE2, PAGE3]))
    assert len(art.meta.pages) == 3 and art.meta.pages[0] == 0 and art.meta.ocr_pages == ()
    for number, paras in enumerate((PAGE1, PAGE2, PAGE3), start=1):
        for para in paras:
            at = art.text.find(para)
            assert at >= 0, para  # the Vietnamese text comes out exactly (NFC, every diacritic)
            assert art.meta.page_at(at) == number and art.meta.page_at(at + len(para) - 1) == number
    assert "1234/QĐ-UBND" in art.meta.doc_numbers
    assert art.meta.page_at(len(art.text) - 1) == 3


def test_docx_keeps_heading_paragraphs_and_table_rows_in_reading_order(tmp_path):
    table = [["Chỉ tiêu", "Năm 2023", "Năm 2024"], ["Hồ sơ đúng hạn", "95%", "98%"]]
    art = _load(docfiles.docx(tmp_path / "ke-hoach.docx", "Kế hoạch cải cách hành chính năm 2024", PAGE1[1:], table))
    assert art.meta.title == "Kế hoạch cải cách hành chính năm 2024"
    assert art.meta.pages == ()  # a DOCX has no fixed pages
    order = [
        art.text.find(x)
        for x in (
            "Kế hoạch cải cách",
            PAGE1[1],
            PAGE1[2],
            "Chỉ tiêu | Năm 2023 | Năm 2024",
            "Hồ sơ đúng hạn | 95% | 98%",
            "Nơi nhận",
        )
    ]
    assert -1 not in order and order == sorted(order)


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-256"])
def test_a_pdf_restricted_only_by_an_owner_password_is_read_and_one_with_a_password_refused(tmp_path, algorithm):
    plain = docfiles.pdf(tmp_path / "plain.pdf", [PAGE1])
    art = _load(docfiles.encrypted(plain, tmp_path / "owner-only.pdf", user_password="", algorithm=algorithm))
    assert PAGE1[1] in art.text
    with pytest.raises(InputError, match="password-protected"):
        _load(docfiles.encrypted(plain, tmp_path / "locked.pdf", algorithm=algorithm))


def test_bad_files_are_refused_one_sentence_each_and_the_rest_of_the_batch_is_ingested(tmp_path):
    good = tmp_path / "batch"
    good.mkdir()
    docfiles.pdf(good / "tot.pdf", [PAGE1, PAGE2])
    word = docfiles.docx(good / "tot.docx", "Kế hoạch số 45/KH-UBND", PAGE2, [["A", "B"], ["1", "2"]])
    docfiles.encrypted(good / "tot.pdf", good / "mat-khau.pdf")
    (good / "hong.pdf").write_bytes((good / "tot.pdf").read_bytes()[:300] + b"\x00garbage" * 50)
    docfiles.pdf(good / "trong.pdf", [[]])  # one blank page
    docfiles.blank_pages(good / "bom-trang.pdf", Settings.max_pdf_pages + 1)
    docfiles.dense_page(good / "bom-lenh.pdf", 4500)  # 356 KB of instructions on one page
    docfiles.huge_image(
        docfiles.image_pdf(tmp_path / "scan.pdf", [docfiles.scan("Trang quét", 100)]), good / "bom-anh.pdf"
    )
    docfiles.zip_bomb_docx(word, good / "bom-zip.docx", int(Settings.max_unzipped_mb) + 10)
    (good / "hong.docx").write_bytes(b"PK\x03\x04" + os.urandom(2000))
    index = tmp_path / "index"
    out = _run(["ingest", "--quiet", str(good)], index, QA_EMBEDDER="hash")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    refused = {line.split(":", 2)[1].strip(): line for line in out.stderr.splitlines() if line.startswith("refused:")}
    expected = {
        "mat-khau.pdf": "password-protected",
        "hong.pdf": "damaged",
        "trong.pdf": "no text",
        "bom-trang.pdf": "QA_MAX_PDF_PAGES",
        "bom-lenh.pdf": "QA_MAX_PDF_PAGE_KB",
        "bom-anh.pdf": "QA_MAX_IMAGE_PIXELS",
        "bom-zip.docx": "QA_MAX_UNZIPPED_MB",
        "hong.docx": "damaged",
    }
    assert set(refused) == set(expected), out.stderr
    for name, phrase in expected.items():
        assert phrase in refused[name], refused[name]
        assert refused[name].count(". ") == 0 and refused[name].endswith(".")  # one sentence
    assert "2 added" in out.stderr and "8 refused" in out.stderr
    listed = _run(["list", "--json"], index, QA_EMBEDDER="hash")
    files = sorted(json.loads(line)["file"] for line in listed.stdout.splitlines())
    assert files == ["tot.docx", "tot.pdf"]


def test_every_refusal_has_a_vietnamese_reason_for_the_page(tmp_path):
    docfiles.encrypted(docfiles.pdf(tmp_path / "a.pdf", [PAGE1]), tmp_path / "khoa.pdf")
    docfiles.blank_pages(tmp_path / "bom.pdf", 20)
    with pytest.raises(InputError) as exc:
        _load(tmp_path / "khoa.pdf")
    assert "mật khẩu" in exc.value.vi
    with pytest.raises(InputError) as exc:
        _load(tmp_path / "bom.pdf", replace(Settings(), max_pdf_pages=10))
    assert exc.value.vi == "tệp PDF có 20 trang, vượt giới hạn 10 trang; hãy tách thành các tệp nhỏ hơn"


def test_document_limits_are_validated_settings(monkeypatch):
    monkeypatch.setenv("QA_MAX_PDF_PAGES", "0")
    with pytest.raises(ConfigError, match="QA_MAX_PDF_PAGES"):
        Settings.from_env()
    monkeypatch.delenv("QA_MAX_PDF_PAGES")
    monkeypatch.setenv("QA_OCR", "maybe")
    with pytest.raises(ConfigError, match="QA_OCR"):
        Settings.from_env()
    monkeypatch.setenv("QA_OCR", "auto")
    monkeypatch.setenv("QA_OCR_LANGUAGES", "vie; rm -rf")
    with pytest.raises(ConfigError, match="QA_OCR_LANGUAGES"):
        Settings.from_env()


def test_a_scan_without_ocr_installed_is_refused_with_how_to_enable_it(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    docfiles.scan(SCANNED, 150).save(folder / "bien-ban.png")
    docfiles.pdf(folder / "van-ban.pdf", [PAGE1])
    out = _run(["ingest", "--quiet", str(folder)], tmp_path / "index", QA_EMBEDDER="hash", PATH="/nonexistent")
    assert out.returncode != 0 and "Traceback" not in out.stderr
    line = next(x for x in out.stderr.splitlines() if x.startswith("refused:"))
    assert "bien-ban.png" in line and "OCR is not installed" in line
    assert "apt-get install tesseract-ocr tesseract-ocr-vie" in line
    assert "1 added" in out.stderr


def test_a_scan_with_ocr_turned_off_is_refused(tmp_path):
    path = tmp_path / "quet.pdf"
    docfiles.image_pdf(path, [docfiles.scan(SCANNED, 150)])
    with pytest.raises(InputError, match="QA_OCR=off"):
        _load(path, replace(Settings(), ocr="off"))


@needs_ocr
def test_a_scanned_image_is_read_by_ocr_and_marked(tmp_path):
    image = tmp_path / "bien-ban.png"
    docfiles.scan(SCANNED, 300).save(image, dpi=(300, 300))
    art = _load(image)
    assert art.meta.ocr_pages == (1,) and art.meta.pages == (0,)
    words = SCANNED.split()
    found = sum(w in art.text for w in words)
    assert found >= 0.9 * len(words), art.text  # Tesseract's Vietnamese model, not an English guess
    assert "Hữu Lũng" in art.text and "14 kilômét" in art.text


@needs_ocr
def test_a_pdf_with_a_scanned_page_reads_that_page_by_ocr_and_the_others_from_the_text_layer(tmp_path):
    path = docfiles.image_pdf(tmp_path / "ho-so.pdf", [PAGE1, docfiles.scan(SCANNED, 200), PAGE3])
    art = _load(path)
    assert art.meta.ocr_pages == (2,) and len(art.meta.pages) == 3
    at = art.text.find("Hữu Lũng")
    assert at > 0 and art.meta.page_at(at) == 2
    assert art.meta.page_at(art.text.find(PAGE3[0][:30])) == 3
    assert art.meta.ocr_within(at, at + 5) and not art.meta.ocr_within(0, 10)


@needs_ocr
def test_ask_json_citations_carry_the_page_and_the_ocr_mark(tmp_path, embedder):
    from qa import pipeline

    folder = tmp_path / "docs"
    folder.mkdir()
    filler = [
        p.strip()
        for f in sorted(SEEDS.glob("*.txt"))[3:]
        for p in f.read_text(encoding="utf-8").split("\n\n")
        if len(p.strip()) > 150
    ]
    pages = [PAGE1 + filler[0:3], filler[3:6] + PAGE2 + filler[6:8], filler[8:11] + PAGE3]  # longer than a passage
    assert all(sum(map(len, page)) > 800 for page in pages)
    docfiles.pdf(folder / "quyet-dinh.pdf", pages)
    docfiles.image_pdf(folder / "bien-ban.pdf", [docfiles.scan(SCANNED, 300)])
    settings = Settings.from_env(index_dir=str(tmp_path / "index"))
    report = pipeline.ingest([folder], settings, embedder=embedder)
    assert len(report.added) == 2 and not report.refused
    out = _run(
        ["ask", "--json", "Đến hết năm 2024 bao nhiêu phần trăm hồ sơ thủ tục hành chính được giải quyết đúng hạn?"],
        settings.index_dir,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    cites = data["citations"] or data["related"]
    top = cites[0]
    assert top["file"] == "quyet-dinh.pdf" and top["page"] == 2 and top["ocr"] is False and "98%" in top["text"]
    assistant = pipeline.Assistant(settings, embedder)
    for c in cites:
        assert assistant.article(c["article_id"]).text[c["start"] : c["end"]] == c["text"]
    out = _run(["ask", "--json", "Đường giao thông nông thôn ở Hữu Lũng dài bao nhiêu kilômét?"], settings.index_dir)
    data = json.loads(out.stdout)
    top = (data["citations"] or data["related"])[0]
    assert top["file"] == "bien-ban.pdf" and top["page"] == 1 and top["ocr"] is True


@needs_ocr
def test_the_page_marks_ocr_passages_and_heads_the_article_view_by_page(tmp_path):
    from qa.answer.assemble import make_citations
    from qa.records import Answer, Chunk, Hit
    from qa.ui import render_citations

    art = _load(docfiles.image_pdf(tmp_path / "ho-so.pdf", [PAGE1, docfiles.scan(SCANNED, 200)]))
    at = art.text.find("Hữu Lũng")
    chunk = Chunk(art.id, 0, at, at + 8, art.text[at : at + 8])
    cite = make_citations([Hit(0, chunk, 1.0)], {art.id: art})[0]
    assert cite.page == 2 and cite.ocr
    html = render_citations(Answer("?", "…", (cite,)), {art.id: art})
    assert 'class="qa-ocr"' in html.split('<details class="qa-article">')[0]  # in the card, beside "trang 2"
    assert "trang 2" in html and "Xem toàn bài (trang 2)" in html
    assert '<div class="qa-page" data-page="1"><div class="qa-page-no">Trang 1</div>' in html
    assert (
        '<div class="qa-page qa-page-cited" data-page="2"><div class="qa-page-no">Trang 2 <span class="qa-ocr"' in html
    )
    assert '<mark class="qa-span">Hữu Lũng</mark>' in html


@needs_ocr
def test_a_multi_page_tiff_is_one_article_with_a_page_per_frame(tmp_path):
    first, second = docfiles.scan(PAGE2[0], 200), docfiles.scan(SCANNED, 200)
    path = tmp_path / "ho-so.tif"
    first.save(path, save_all=True, append_images=[second], dpi=(200, 200), compression="tiff_lzw")
    art = _load(path)
    assert len(art.meta.pages) == 2 and art.meta.ocr_pages == (1, 2)
    assert art.meta.page_at(art.text.find("Sở Nội vụ")) == 1 and art.meta.page_at(art.text.find("Hữu Lũng")) == 2
