"""Compare PDF and DOCX text extractors on the same generated Vietnamese files.

The files are made here from the seed articles (real Vietnamese news text): PDFs written by fpdf2
and by reportlab with DejaVu Sans / DejaVu Serif embedded (Debian's fonts-dejavu-core), DOCX written by python-docx
with a heading, paragraphs and a table. Each extractor reads every file; the table gives its time
per file (best of --repeat runs), the time as a ratio to the first candidate of its kind (the same-run
baseline), and the character error rate (CER, Levenshtein distance / length of the known text,
whitespace collapsed, NFC) against the text that was written.

    PYTHONPATH=.:.deps python benchmarks/documents.py            # needs fpdf2, reportlab, pypdf, pdfminer.six,
                                                                 # python-docx, docx2python, rapidfuzz
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable
from html import escape as html_escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONTS = Path("/usr/share/fonts/truetype/dejavu")
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


def _paragraphs(path: Path) -> list[str]:
    return [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]


def _flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def cer(expected: str, got: str) -> float:
    from rapidfuzz.distance import Levenshtein

    a, b = _flat(expected), _flat(got)
    return Levenshtein.distance(a, b) / max(1, len(a))


def make_pdf(paras: list[str], font: str, dest: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_font("vn", "", str(FONTS / font))
    pdf.set_font("vn", size=11)
    pdf.add_page()
    for p in paras:
        pdf.multi_cell(0, 6, p, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.output(str(dest))


def make_pdf_reportlab(paras: list[str], font: str, dest: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    name = f"vn-{font}"
    if name not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(name, str(FONTS / font)))
    style = ParagraphStyle("vn", fontName=name, fontSize=11, leading=15, spaceAfter=6)
    SimpleDocTemplate(str(dest), pagesize=A4).build([Paragraph(html_escape(p), style) for p in paras])


def make_docx(paras: list[str], dest: Path) -> list[str]:
    """A DOCX with a heading, the paragraphs and a 3×3 table; returns its paragraphs in reading order
    (a table row is one paragraph of its cells)."""
    import docx

    d = docx.Document()
    d.add_heading(paras[0], level=1)
    for p in paras[1:]:
        d.add_paragraph(p)
    cells = [
        ["Chỉ tiêu", "Năm 2020", "Năm 2021"],
        ["Tăng trưởng GRDP", "6,5 %", "7,2 %"],
        ["Thu ngân sách", "1.250 tỷ đồng", "1.480 tỷ đồng"],
    ]
    table = d.add_table(rows=3, cols=3)
    for r, row in enumerate(cells):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    d.save(str(dest))
    return paras + [" ".join(row) for row in cells]


def paragraphs_kept(expected: list[str], got: str) -> float:
    """Share of the written paragraphs found whole as one blank-line-separated block of the extraction."""
    blocks = {_flat(b) for b in re.split(r"\n[ \t]*\n", got)}
    return sum(_flat(p) in blocks for p in expected) / max(1, len(expected))


def pypdf_text(path: Path) -> str:
    import pypdf

    return "\n\n".join(page.extract_text() or "" for page in pypdf.PdfReader(path).pages)


def pypdf_layout_text(path: Path) -> str:
    import pypdf

    return "\n\n".join(page.extract_text(extraction_mode="layout") or "" for page in pypdf.PdfReader(path).pages)


def pypdf_unwrapped_text(path: Path) -> str:
    """As the product reads a PDF: pypdf's text, lines joined into paragraphs by qa.documents.unwrap."""
    import pypdf

    from qa.documents import unwrap

    return "\n\n".join(unwrap(page.extract_text() or "") for page in pypdf.PdfReader(path).pages)


def pdfminer_text(path: Path) -> str:
    from pdfminer.high_level import extract_text

    return "\n\n".join(extract_text(str(path)).split("\f"))


def python_docx_text(path: Path) -> str:
    import docx
    from docx.table import Table

    out = []
    for block in docx.Document(str(path)).iter_inner_content():
        if isinstance(block, Table):
            out += [" ".join(cell.text for cell in row.cells) for row in block.rows]
        else:
            out.append(block.text)
    return "\n\n".join(out)


def docx2python_text(path: Path) -> str:
    from docx2python import docx2python

    with docx2python(str(path)) as doc:
        return doc.text


def _best(fn: Callable[[Path], str], path: Path, repeat: int) -> tuple[float, str]:
    best, text = float("inf"), ""
    for _ in range(repeat):
        t = time.perf_counter()
        text = fn(path)
        best = min(best, time.perf_counter() - t)
    return best, text


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pdfs, docs = {"fpdf2": [], "reportlab": []}, []
        for i, seed in enumerate(SEEDS):
            paras = _paragraphs(seed)
            for font in ("DejaVuSans.ttf", "DejaVuSerif.ttf"):
                for writer, make in (("fpdf2", make_pdf), ("reportlab", make_pdf_reportlab)):
                    dest = folder / f"{i}-{font}-{writer}.pdf"
                    make(paras, font, dest)
                    pdfs[writer].append((dest, paras))
            dest = folder / f"{i}.docx"
            docs.append((dest, make_docx(paras, dest)))
        pdf_libs = [
            ("pypdf", pypdf_text),
            ("pypdf layout", pypdf_layout_text),
            ("pypdf+unwrap", pypdf_unwrapped_text),
            ("pdfminer.six", pdfminer_text),
        ]
        kinds = {f"PDF by {writer}": (files, pdf_libs) for writer, files in pdfs.items()}
        kinds["DOCX by python-docx"] = (docs, [("python-docx", python_docx_text), ("docx2python", docx2python_text)])
        print(
            f"{'files':<19} {'library':<13} {'n':>3} {'ms/file':>8} {'× first':>8} {'CER %':>7} {'worst CER %':>12} "
            f"{'paragraphs kept %':>18}"
        )
        for kind, (files, libs) in kinds.items():
            base = None
            for name, fn in libs:
                times, errors, kept = [], [], []
                for path, expected in files:
                    seconds, text = _best(fn, path, args.repeat)
                    times.append(seconds)
                    errors.append(cer("\n".join(expected), text))
                    kept.append(paragraphs_kept(expected, text))
                ms = 1000 * sum(times) / len(times)
                base = base or ms
                print(
                    f"{kind:<19} {name:<13} {len(files):>3} {ms:>8.1f} {ms / base:>8.2f} "
                    f"{100 * sum(errors) / len(errors):>7.2f} {100 * max(errors):>12.2f} "
                    f"{100 * sum(kept) / len(kept):>18.1f}"
                )


if __name__ == "__main__":
    main()
