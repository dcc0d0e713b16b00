"""Real PDF, DOCX and scanned-image files with Vietnamese text, made by real writers (fpdf2, pypdf,
python-docx, Pillow) with a Vietnamese-capable font (Debian's DejaVu)."""

from __future__ import annotations

import zipfile
from pathlib import Path

FONTS = Path("/usr/share/fonts/truetype/dejavu")
SANS = FONTS / "DejaVuSans.ttf"

# Vietnamese text of an official document, three pages, and of a scanned record.
PAGE1 = [
    "ỦY BAN NHÂN DÂN TỈNH LẠNG SƠN",
    "Quyết định số 1234/QĐ-UBND ngày 15/3/2024 về việc ban hành kế hoạch cải cách hành chính.",
    "Điều 1. Phê duyệt kế hoạch cải cách hành chính tỉnh Lạng Sơn năm 2024 với 12 nhiệm vụ trọng tâm.",
]
PAGE2 = [
    "Điều 2. Sở Nội vụ chủ trì, phối hợp với các sở, ngành tổ chức thực hiện; đến hết năm 2024 "
    "phấn đấu 98% hồ sơ thủ tục hành chính được giải quyết đúng hạn."
]
PAGE3 = [
    "Điều 3. Quyết định có hiệu lực kể từ ngày ký. Chánh Văn phòng UBND tỉnh, Giám đốc các sở "
    "chịu trách nhiệm thi hành Quyết định này."
]
SCANNED = (
    "Biên bản kiểm tra ngày 20 tháng 5 năm 2024 tại xã Hữu Lũng ghi nhận đường giao thông nông thôn "
    "dài 14 kilômét đã hoàn thành và bàn giao cho nhân dân sử dụng."
)


def pdf(path: Path, pages: list[list[str]]) -> Path:
    """A PDF with a text layer: one list of paragraphs per page (an empty list: a blank page)."""
    from fpdf import FPDF

    doc = FPDF(format="A4")
    doc.add_font("vn", "", str(SANS))
    doc.set_font("vn", size=12)
    for paras in pages:
        doc.add_page()
        for p in paras:
            doc.multi_cell(0, 7, p, new_x="LMARGIN", new_y="NEXT")
            doc.ln(4)
    doc.output(str(path))
    return path


def scan(text: str, dpi: int = 200, width_in: float = 7.0, margin_in: float = 1 / 3, font: Path = SANS,
         points: float = 12):
    """The text drawn black on white as a scanner would give it (a PIL image): each line of `text` a
    paragraph, wrapped to `width_in` inches with `margin_in` on every side."""
    from PIL import Image, ImageDraw, ImageFont

    face = ImageFont.truetype(str(font), round(points / 72 * dpi))
    width, margin = round(width_in * dpi), round(margin_in * dpi)
    lines: list[str] = []
    for para in text.split("\n"):
        line = ""
        for word in para.split():
            trial = f"{line} {word}".strip()
            if face.getlength(trial) > width - 2 * margin and line:
                lines.append(line)
                line = word
            else:
                line = trial
        lines.append(line)
    step = round(face.size * 1.5)
    img = Image.new("L", (width, 2 * margin + step * len(lines)), 255)
    draw = ImageDraw.Draw(img)
    for i, text_line in enumerate(lines):
        draw.text((margin, margin + i * step), text_line, font=face, fill=0)
    return img


def image_pdf(path: Path, pages: list) -> Path:
    """A PDF of scanned pages: each item a PIL image (no text layer), or a list of paragraphs (text)."""
    from fpdf import FPDF

    doc = FPDF(format="A4")
    doc.add_font("vn", "", str(SANS))
    doc.set_font("vn", size=12)
    for item in pages:
        doc.add_page()
        if isinstance(item, list):
            for p in item:
                doc.multi_cell(0, 7, p, new_x="LMARGIN", new_y="NEXT")
        else:
            doc.image(item, x=10, y=10, w=190)
    doc.output(str(path))
    return path


def dense_page(path: Path, operations: int) -> Path:
    """One page of `operations` tiny text-drawing instructions (about 80 bytes each uncompressed):
    a content stream that would make text extraction slow."""
    from fpdf import FPDF

    doc = FPDF(format="A4")
    doc.add_font("vn", "", str(SANS))
    doc.set_font("vn", size=2)
    doc.add_page()
    for i in range(operations):
        doc.text(10, 10 + i % 280, "Điều 1. Phê duyệt kế hoạch")
    doc.output(str(path))
    return path


def encrypted(src: Path, dest: Path, user_password: str = "mat-khau", algorithm: str = "RC4-128") -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=str(src))
    writer.encrypt(user_password=user_password, owner_password="chu-so-huu", algorithm=algorithm)
    with dest.open("wb") as fh:
        writer.write(fh)
    return dest


def blank_pages(dest: Path, count: int) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(count):
        writer.add_blank_page(595, 842)
    with dest.open("wb") as fh:
        writer.write(fh)
    return dest


def huge_image(src: Path, dest: Path, width: int = 100_000, height: int = 100_000) -> Path:
    """The scanned PDF `src` with its image declared as width × height pixels (a decompression bomb's header)."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, NumberObject

    writer = PdfWriter(clone_from=str(src))
    for obj in writer.pages[0]["/Resources"]["/XObject"].values():
        image = obj.get_object()
        image[NameObject("/Width")] = NumberObject(width)
        image[NameObject("/Height")] = NumberObject(height)
    with dest.open("wb") as fh:
        writer.write(fh)
    return dest


def docx(path: Path, heading: str, paragraphs: list[str], table: list[list[str]]) -> Path:
    import docx as python_docx

    d = python_docx.Document()
    d.add_heading(heading, level=1)
    for p in paragraphs:
        d.add_paragraph(p)
    t = d.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            t.cell(r, c).text = value
    d.add_paragraph("Nơi nhận: Như trên; Lưu VT.")
    d.save(str(path))
    return path


def zip_bomb_docx(src: Path, dest: Path, megabytes: int) -> Path:
    """A real DOCX with one more part of `megabytes` MB of zeros (a few hundred KB once compressed)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item, zin.read(item.filename))
        with zout.open("word/media/bom.bin", "w", force_zip64=True) as fh:
            block = bytes(1024 * 1024)
            for _ in range(megabytes):
                fh.write(block)
    return dest
