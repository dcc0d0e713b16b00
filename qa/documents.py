"""Read PDF, DOCX and image files into pages of text (OCR for scans); refuse hostile or unusable ones.

- PDF (pypdf): the text layer, page by page. A page whose text layer is empty but which holds
  images is a scan: its images are read by Tesseract (qa/ocr.py). Password-protected files (unless
  they open with the empty password, as files restricted only against printing or copying do),
  damaged and empty files are refused; so are files of more than QA_MAX_PDF_PAGES pages and images
  of more than QA_MAX_IMAGE_PIXELS pixels, checked before anything is decoded.
- DOCX (python-docx): paragraphs, headings and tables in reading order, each a paragraph of the
  text (a table row's cells joined by " | "). The ZIP's declared sizes are checked before it is
  opened: a DOCX unpacking to more than QA_MAX_UNZIPPED_MB is refused as a ZIP bomb.
- PNG, JPEG, TIFF: OCR, one page per image frame (a TIFF may hold many).

Each refusal is an InputError: one English sentence naming the file, and `vi`, the Vietnamese reason
the page shows after "Không nạp được <file>:".
"""

from __future__ import annotations

import io
import logging
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from . import ocr
from .config import Settings
from .decode import _read_bytes, suffix_of
from .errors import InputError
from .text import normalize

log = logging.getLogger(__name__)
PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")
SUFFIXES = PDF_SUFFIXES + DOCX_SUFFIXES + IMAGE_SUFFIXES
MAX_FORM_DEPTH = 4  # images nested in form XObjects are looked for this deep
MAX_ZIP_ENTRIES = 10_000


@dataclass(frozen=True)
class Page:
    """The text of one page (a DOCX is one page) and whether it was read by OCR."""

    text: str
    ocr: bool = False


@dataclass(frozen=True)
class Limits:
    """What a document may hold (from Settings)."""

    max_bytes: int
    max_chars: int  # reading stops once the pages hold more text than this
    max_pages: int
    max_page_content: int
    max_content: int
    max_image_pixels: int
    max_unzipped_bytes: int
    ocr: str
    ocr_languages: str
    ocr_timeout_s: float

    @classmethod
    def from_settings(cls, s: Settings, max_chars: int) -> Limits:
        return cls(
            int(s.max_document_mb * 1024 * 1024),
            max_chars,
            s.max_pdf_pages,
            s.max_pdf_page_kb * 1024,
            int(s.max_pdf_content_mb * 1024 * 1024),
            s.max_image_pixels,
            int(s.max_unzipped_mb * 1024 * 1024),
            s.ocr,
            s.ocr_languages,
            s.ocr_timeout_s,
        )


def read_pages(path: Path, limits: Limits) -> list[Page]:
    """The pages of a PDF, DOCX or image file, each normalised; InputError if it cannot be used."""
    suffix = suffix_of(path)
    data = _read_bytes(path, limits.max_bytes)
    if suffix in PDF_SUFFIXES:
        pages = _pdf(path.name, data, limits)
    elif suffix in DOCX_SUFFIXES:
        pages = _docx(path.name, data, limits)
    else:
        pages = _image(path.name, data, limits)
    if not any(p.text.strip() for p in pages):
        if any(p.ocr for p in pages):
            raise InputError(
                f"{path.name}: OCR found no text on the scanned pages.",
                "nhận dạng chữ (OCR) không tìm thấy chữ nào trên các trang quét",
            )
        raise InputError(f"{path.name}: the file contains no text.", "tệp không có nội dung")
    return pages


_SENTENCE_END = re.compile(r"[.!?…:;][\"')\]]*$")
WRAPPED = 0.75  # a line at least this share of the page's longest line reached the margin: its paragraph goes on


def unwrap(text: str) -> str:
    """Lines of a page (a PDF's text layer, OCR output) joined into paragraphs, one blank line between.

    A line continues on the next when it was wrapped at the margin: it is nearly as long as the
    page's longest line and does not end a sentence. Short lines (headings, the last line of a
    paragraph, the lines of an address block) end their paragraph."""
    lines = [" ".join(line.split()) for line in text.split("\n")]
    width = max((len(line) for line in lines), default=0)
    paras: list[list[str]] = []
    prev = ""
    for line in lines:
        if not line:
            prev = ""
            continue
        if prev and len(prev) >= WRAPPED * width and not _SENTENCE_END.search(prev):
            paras[-1].append(line)
        else:
            paras.append([line])
        prev = line
    return "\n\n".join(" ".join(p) for p in paras)


def _vn(n: int) -> str:
    """A whole number as Vietnamese writes it: 1.000.000."""
    return f"{n:,}".replace(",", ".")


# PDF ------------------------------------------------------------------------------------------------


def _damaged(name: str, kind: str, exc: BaseException | None = None) -> InputError:
    if exc is not None:
        log.info("%s: %s reading failed: %r", name, kind, exc)
    return InputError(f"{name}: the {kind} file is damaged and cannot be read.", f"tệp {kind} bị hỏng, không đọc được")


def _pdf(name: str, data: bytes, limits: Limits) -> list[Page]:
    import pypdf
    from pypdf.errors import DependencyError, PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on odd files would break one-line output
    if b"%PDF" not in data[:1024]:
        raise _damaged(name, "PDF")
    try:
        reader = pypdf.PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except (DependencyError, NotImplementedError, PdfReadError):
                opened = 0
            if not opened:
                raise InputError(
                    f"{name}: the PDF is password-protected; save a copy without the password and ingest that.",
                    "tệp PDF được đặt mật khẩu; hãy lưu một bản không có mật khẩu rồi nạp lại",
                )
        count = len(reader.pages)
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many kinds of error on a malformed file
        raise _damaged(name, "PDF", exc) from None
    if count == 0:
        raise InputError(f"{name}: the PDF has no pages.", "tệp PDF không có trang nào")
    if count > limits.max_pages:
        raise InputError(
            f"{name}: the PDF has {count:,} pages, more than the {limits.max_pages:,} allowed "
            "(QA_MAX_PDF_PAGES); split it into smaller files.",
            f"tệp PDF có {_vn(count)} trang, vượt giới hạn {_vn(limits.max_pages)} trang; hãy tách "
            "thành các tệp nhỏ hơn",
        )
    pages: list[Page] = []
    total = content = 0
    for number in range(1, count + 1):
        try:
            page = reader.pages[number - 1]
            size = _content_size(page)
            content += size
            if size > limits.max_page_content or content > limits.max_content:
                raise _too_much_content(name, number, size, content, limits)
            text = unwrap(normalize(page.extract_text() or ""))
            if not text.strip():
                images = _page_images(name, number, page, limits)
                if images:
                    page_inches = float(page.mediabox.width) / 72 or None
                    text = _ocr_images(name, f"page {number}", images, limits, page_inches)
                    pages.append(Page(text, ocr=True))
                    total += len(text)
                    if total > limits.max_chars:
                        break
                    continue
        except InputError:
            raise
        except Exception as exc:
            raise _damaged(name, "PDF", exc) from None
        pages.append(Page(text))
        total += len(text)
        if total > limits.max_chars:
            break  # the caller refuses the article as too long; reading the rest would only cost time
    return pages


def _content_size(page) -> int:
    """Bytes of the page's drawing instructions once uncompressed (pypdf bounds the inflating itself)."""
    contents = page.get_contents()
    return len(contents.get_data()) if contents is not None else 0


def _too_much_content(name: str, number: int, size: int, content: int, limits: Limits) -> InputError:
    if size > limits.max_page_content:
        return InputError(
            f"{name}: page {number} holds {size / 1024:,.0f} KB of drawing instructions, more than the "
            f"{limits.max_page_content // 1024:,} KB allowed for a page (QA_MAX_PDF_PAGE_KB; a page of text needs "
            "about 15 KB).",
            f"trang {number} chứa {_vn(round(size / 1024))} KB lệnh vẽ, vượt giới hạn "
            f"{_vn(limits.max_page_content // 1024)} KB cho một trang",
        )
    return InputError(
        f"{name}: the pages up to page {number} hold {content / 1024 / 1024:,.1f} MB of drawing instructions, more "
        f"than the {limits.max_content / 1024 / 1024:g} MB allowed (QA_MAX_PDF_CONTENT_MB); split the file.",
        f"các trang của tệp chứa quá {limits.max_content / 1024 / 1024:g} MB lệnh vẽ; hãy tách tệp",
    )


def _page_images(name: str, number: int, page, limits: Limits) -> list:
    """The page's images as PIL images, each checked against the pixel limit before it is decoded."""
    sizes = []
    _image_sizes(page.get("/Resources"), sizes, 0)
    for w, h in sizes:
        _check_pixels(name, f"page {number}", w, h, limits)
    if not sizes:
        return []
    from pypdf.errors import DependencyError

    try:
        return [img.image for img in page.images]
    except DependencyError as exc:  # JBIG2, common in scanners' PDFs, is decoded by the jbig2dec program
        log.info("%s: page %d: %s", name, number, exc)
        raise InputError(
            f"{name}: the scan on page {number} is compressed in a format that needs a decoder this machine lacks "
            "(JBIG2 needs jbig2dec: apt-get install jbig2dec).",
            f"bản quét ở trang {number} được nén theo định dạng cần bộ giải mã chưa cài (JBIG2 cần jbig2dec)",
        ) from None


def _image_sizes(resources, out: list, depth: int) -> None:
    if resources is None or depth > MAX_FORM_DEPTH:
        return
    xobjects = resources.get_object().get("/XObject")
    if xobjects is None:
        return
    for ref in xobjects.get_object().values():
        obj = ref.get_object()
        if obj.get("/Subtype") == "/Image":
            out.append((int(obj.get("/Width", 0)), int(obj.get("/Height", 0))))
        elif obj.get("/Subtype") == "/Form":
            _image_sizes(obj.get("/Resources"), out, depth + 1)


def _check_pixels(name: str, where: str, w: int, h: int, limits: Limits) -> None:
    if w * h > limits.max_image_pixels:
        raise InputError(
            f"{name}: {where} holds an image of {w:,} × {h:,} pixels, more than the "
            f"{limits.max_image_pixels:,} allowed (QA_MAX_IMAGE_PIXELS).",
            f"{ocr._vi(where)} có ảnh {_vn(w)} × {_vn(h)} điểm ảnh, vượt giới hạn "
            f"{_vn(limits.max_image_pixels)} điểm ảnh",
        )


def _ocr_images(name: str, where: str, images: list, limits: Limits, page_inches: float | None = None) -> str:
    if limits.ocr == "off":
        raise InputError(
            f"{name}: {where} is a scanned image and OCR is turned off (QA_OCR=off); set QA_OCR=auto to read scans.",
            f"{ocr._vi(where)} là bản quét và chức năng nhận dạng chữ (OCR) đang tắt (QA_OCR=off)",
        )
    why = ocr.unavailable(limits.ocr_languages)
    if why:
        raise InputError(
            f"{name}: {where} is a scanned image and {why[0]}.", f"{ocr._vi(where)} là bản quét và {why[1]}"
        )
    texts = []
    for image in images:
        dpi = image.width / page_inches if page_inches else _dpi(image)
        texts.append(ocr.recognise(image, name, where, limits.ocr_languages, limits.ocr_timeout_s, dpi))
    return unwrap(normalize("\n\n".join(t.strip() for t in texts if t.strip())))


def _dpi(image) -> float | None:
    dpi = image.info.get("dpi")
    try:
        value = float(dpi[0]) if dpi else None
    except (TypeError, ValueError, IndexError):
        return None
    return value if value and 30 <= value <= 2400 else None


# Images ----------------------------------------------------------------------------------------------


def _image(name: str, data: bytes, limits: Limits) -> list[Page]:
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(io.BytesIO(data))  # reads the header only
        frames = getattr(img, "n_frames", 1)
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise _damaged(name, "image", exc) from None
    if frames > limits.max_pages:
        raise InputError(
            f"{name}: the image file has {frames:,} pages, more than the {limits.max_pages:,} "
            "allowed (QA_MAX_PDF_PAGES); split it into smaller files.",
            f"tệp ảnh có {_vn(frames)} trang, vượt giới hạn {_vn(limits.max_pages)} trang",
        )
    pages, total = [], 0
    for i in range(frames):
        where = f"page {i + 1}" if frames > 1 else "the image"
        try:
            img.seek(i)
            _check_pixels(name, where, img.width, img.height, limits)
            img.load()
            frame = img.copy()
        except InputError:
            raise
        except (OSError, ValueError, EOFError, Image.DecompressionBombError) as exc:
            raise _damaged(name, "image", exc) from None
        text = _ocr_images(name, where, [frame], limits)
        pages.append(Page(text, ocr=True))
        total += len(text)
        if total > limits.max_chars:
            break
    return pages


# DOCX ------------------------------------------------------------------------------------------------


def _docx(name: str, data: bytes, limits: Limits) -> list[Page]:
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # an OLE file: a password-protected DOCX, or an old .doc
        raise InputError(
            f"{name}: the Word file is password-protected (or an old .doc saved as .docx); save it "
            "as an unprotected .docx and ingest that.",
            "tệp Word được đặt mật khẩu (hoặc là tệp .doc cũ); hãy lưu thành .docx không có mật khẩu rồi nạp lại",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            names = {e.filename for e in entries}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _damaged(name, "Word", exc) from None
    unpacked = sum(e.file_size for e in entries)
    if len(entries) > MAX_ZIP_ENTRIES or unpacked > limits.max_unzipped_bytes:
        mb = unpacked / 1024 / 1024
        raise InputError(
            f"{name}: the Word file would unpack to {mb:,.0f} MB in {len(entries):,} parts, more than "
            f"the {limits.max_unzipped_bytes / 1024 / 1024:g} MB allowed (QA_MAX_UNZIPPED_MB); it is "
            "not an ordinary document.",
            f"tệp Word khi giải nén lên tới {_vn(round(mb))} MB, vượt giới hạn "
            f"{limits.max_unzipped_bytes / 1024 / 1024:g} MB; đây không phải tài liệu thông thường",
        )
    if "word/document.xml" not in names:
        raise InputError(
            f"{name}: this is a ZIP archive, not a Word document.", "đây là tệp nén ZIP, không phải tài liệu Word"
        )
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
        blocks = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                blocks += _table_rows(item)
            elif item.text.strip():
                blocks.append(item.text.strip())
    except Exception as exc:  # python-docx and lxml raise many kinds of error on a malformed file
        raise _damaged(name, "Word", exc) from None
    return [Page(normalize("\n\n".join(blocks)))]


def _table_rows(table) -> list[str]:
    """One line per table row, its cells joined by " | " (a merged cell, repeated by python-docx, once)."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            text = " ".join(cell.text.split())
            if text:
                cells.append(text)
        if cells:
            rows.append(" | ".join(cells))
    return rows
