"""read_text: encodings, binary and legacy-font refusals, HTML and Markdown, on real files."""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pytest

from qa.decode import SUPPORTED_SUFFIXES, legacy_font, read_text, strip_markdown
from qa.errors import InputError
from qa.text import normalize

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
LIMIT = 1_000_000
VI = ("Sáng 20/4/2021, Ban Thường vụ Tỉnh ủy Lạng Sơn tổ chức hội nghị kỳ thứ 7. "
      "Chỉ số cải cách hành chính xếp thứ 60/63, tụt 17 bậc so với năm 2020; "
      "thu ngân sách đạt 5.835 tỷ đồng. Đồng chí Bí thư yêu cầu đẩy mạnh chuyển đổi số.")
TONES = "\u0300\u0301\u0309\u0303\u0323"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def cp1258(text: str) -> bytes:
    """Encode Vietnamese as Windows-1258 does: base letters, then a combining tone mark."""
    out = []
    for ch in text:
        try:
            ch.encode("cp1258")
            out.append(ch)
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
            out.append(base + "".join(c for c in parts if c in TONES))
    return "".join(out).encode("cp1258")


def refusal(path: Path) -> str:
    with pytest.raises(InputError) as info:
        read_text(path, LIMIT)
    message = str(info.value)
    assert message.startswith(f"{path.name}: ")
    assert message.endswith(".") and "\n" not in message
    return message


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".htm", ".TXT"])
def test_supported_suffixes_are_read(tmp_path, suffix) -> None:
    body = f"<html><body><article><p>{VI}</p></article></body></html>" if suffix in (".html", ".htm") else VI
    text = read_text(write(tmp_path, "bai" + suffix, body.encode("utf-8")), LIMIT)
    assert "tụt 17 bậc" in text and suffix.lower() in SUPPORTED_SUFFIXES


@pytest.mark.parametrize("name", ["bai.pdf", "bai.docx", "bai.csv", "bai", "bai.txt.exe"])
def test_other_suffixes_are_refused_whatever_the_content(tmp_path, name) -> None:
    path = write(tmp_path, name, VI.encode("utf-8"))
    assert "is not supported" in refusal(path)


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name[:3])
def test_seeds_read_as_normalised_text(seed: Path) -> None:
    text = read_text(seed, LIMIT)
    assert text == normalize(seed.read_text(encoding="utf-8"))
    assert unicodedata.is_normalized("NFC", text)


def test_utf8_with_and_without_bom(tmp_path: Path) -> None:
    plain = read_text(write(tmp_path, "a.txt", VI.encode("utf-8")), LIMIT)
    bom = read_text(write(tmp_path, "b.txt", codecs.BOM_UTF8 + VI.encode("utf-8")), LIMIT)
    assert plain == bom == VI
    assert "\ufeff" not in bom


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_bom(tmp_path: Path, encoding: str) -> None:
    data = VI.encode(encoding)
    if encoding != "utf-16":
        bom = codecs.BOM_UTF16_LE if encoding.endswith("le") else codecs.BOM_UTF16_BE
        data = bom + data
    assert read_text(write(tmp_path, "u16.txt", data), LIMIT) == VI


def test_utf16_without_bom(tmp_path: Path) -> None:
    text = "Hello world, this file was saved as UTF-16 without a byte-order mark.\n" * 3
    assert read_text(write(tmp_path, "nobom.txt", text.encode("utf-16-le")), LIMIT) == text


def test_windows_1258_is_detected(tmp_path: Path) -> None:
    data = cp1258(VI)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert read_text(write(tmp_path, "cp1258.txt", data), LIMIT) == VI


def test_latin1_is_detected(tmp_path: Path) -> None:
    text = ("Le café est très chaud. À l'école, les élèves étudient le français et la géographie. "
            "Où est la bibliothèque? Voilà une idée intéressante pour l'été.")
    assert read_text(write(tmp_path, "fr.txt", text.encode("latin-1")), LIMIT) == text


def test_nfd_vietnamese_becomes_nfc(tmp_path: Path) -> None:
    nfd = unicodedata.normalize("NFD", VI)
    assert nfd != VI
    assert read_text(write(tmp_path, "nfd.txt", nfd.encode("utf-8")), LIMIT) == VI


def test_crlf_and_invisible_characters(tmp_path: Path) -> None:
    data = "Dòng một\r\nDòng\u00a0hai\u200b\r\n".encode("utf-8")
    assert read_text(write(tmp_path, "crlf.txt", data), LIMIT) == "Dòng một\nDòng hai\n"


@pytest.mark.parametrize("header, kind", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG"),
    (b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),
])
def test_binary_files_renamed_txt_are_refused(tmp_path: Path, header: bytes, kind: str) -> None:
    message = refusal(write(tmp_path, "article.txt", header + bytes(range(256)) * 4))
    assert kind in message


def test_nul_bytes_are_refused(tmp_path: Path) -> None:
    message = refusal(write(tmp_path, "blob.txt", b"abc\x00\x01\x02\x03def\x00\xff\xfe\x10" * 50))
    assert "binary" in message


def test_random_high_bytes_are_refused(tmp_path: Path) -> None:
    data = bytes((i * 151 + 17) % 128 + 128 for i in range(4000))
    assert "could not be recognised" in refusal(write(tmp_path, "noise.txt", data))


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  ", "\u00a0\u200b\n".encode("utf-8")])
def test_empty_or_blank_is_refused(tmp_path: Path, data: bytes) -> None:
    message = refusal(write(tmp_path, "empty.txt", data))
    assert "empty" in message or "no text" in message


def test_oversize_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "big.txt", VI.encode("utf-8") * 100)
    with pytest.raises(InputError, match=r"^big\.txt: .*limit"):
        read_text(path, 1000)
    assert read_text(path, 1_000_000)


def test_missing_file_and_folder_are_refused(tmp_path: Path) -> None:
    assert "does not exist" in refusal(tmp_path / "missing.txt")
    (tmp_path / "folder.txt").mkdir()
    assert "folder" in refusal(tmp_path / "folder.txt")


def test_unsupported_suffix_is_refused(tmp_path: Path) -> None:
    message = refusal(write(tmp_path, "report.pdf", b"%PDF-1.4"))
    assert ".pdf" in message


TCVN3 = ("Tr\u00adêng §¹i häc Quèc gia Hµ Néi ®· tæ chøc héi nghÞ c¸n bé chñ chèt "
         "vÒ c«ng t¸c c¶i c¸ch hµnh chÝnh n¨m 2021.")
VNI = ("Tröôøng ñaïi hoïc Quoác gia Haø Noäi ñaõ toå chöùc hoäi nghò caùn boä chuû choát "
       "veà coâng taùc caûi caùch haønh chính naêm 2021.")


@pytest.mark.parametrize("text, font", [(TCVN3, "TCVN3"), (VNI, "VNI")])
def test_legacy_font_text_is_refused(tmp_path: Path, text: str, font: str) -> None:
    for name, data in (("bytes.txt", text.encode("cp1252")), ("pasted.txt", text.encode("utf-8"))):
        message = refusal(write(tmp_path, name, data))
        assert font in message and "Unicode" in message and "UniKey" in message


def test_legacy_font_detector_spares_unicode_and_other_languages() -> None:
    for seed in SEEDS:
        assert legacy_font(seed.read_text(encoding="utf-8")) is None
    assert legacy_font("Schöne Grüße aus Köln, wir möchten über das Mädchen sprechen.") is None
    assert legacy_font("Bản quyền © 2021 Báo Lạng Sơn ®. Cà phê, phở và bánh mì.") is None


HOSTILE_HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Tỉnh Hà Nam nâng cao chỉ số PAR Index</title>
<style>body { color: red; } .SECRET_STYLE { display: none }</style>
<script>var SECRET_SCRIPT = "do not leak"; alert(SECRET_SCRIPT);</script></head>
<body><nav><a href="/">Trang chủ</a> | <a href="/tin">Tin tức</a></nav>
<article><h1>Tỉnh Hà Nam nâng cao chỉ số PAR Index</h1>
<p>Năm 2021, Chỉ số cải cách hành chính (PAR Index) của tỉnh Hà Nam xếp thứ 60/63 tỉnh,
thành phố, tụt 17 bậc so với năm 2020.</p>
<img src="x.png" onerror="alert('SECRET_ONERROR')">
<script>document.write('SECRET_INLINE')</script>
<p>Ban Thường vụ Tỉnh ủy yêu cầu các cơ quan, đơn vị khẩn trương xây dựng kế hoạch khắc phục
những hạn chế, yếu kém đã được chỉ ra qua đánh giá các chỉ số.</p></article>
<div class="comments"><p>Bình luận: bài viết rất hay SECRET_COMMENT</p></div>
</body></html>"""


def test_html_main_text_without_scripts_or_styles(tmp_path: Path) -> None:
    text = read_text(write(tmp_path, "page.html", HOSTILE_HTML.encode("utf-8")), LIMIT)
    assert text.startswith("Tỉnh Hà Nam nâng cao chỉ số PAR Index\n\nNăm 2021,")
    assert "xếp thứ 60/63" in text and "tụt 17 bậc" in text
    assert "kế hoạch khắc phục" in text
    for leak in ("SECRET", "alert", "color: red", "onerror", "<script", "<p>"):
        assert leak not in text


def test_html_title_added_when_body_lacks_it(tmp_path: Path) -> None:
    html = ("<html><head><title>Hội nghị Ban Thường vụ Tỉnh ủy</title></head><body>"
            "<p>Ngày 23/12/2020, Ban Thường vụ Tỉnh ủy tổ chức hội nghị kỳ chuyên đề, cho ý kiến "
            "9 nội dung quan trọng về phát triển kinh tế - xã hội của tỉnh.</p></body></html>")
    text = read_text(write(tmp_path, "t.htm", html.encode("utf-8")), LIMIT)
    assert text.split("\n\n")[0] == "Hội nghị Ban Thường vụ Tỉnh ủy"
    assert "9 nội dung" in text


def test_html_without_text_is_refused(tmp_path: Path) -> None:
    html = b"<html><head><script>var x = 1;</script></head><body><img src='a.png'></body></html>"
    assert "HTML" in refusal(write(tmp_path, "blank.html", html))


def test_markdown_is_stripped_minimally(tmp_path: Path) -> None:
    md = ("# Tạo đột phá trong cải cách hành chính\n\n"
          "**Sáng 20/4/2021**, Ban Thường vụ _Tỉnh ủy_ họp, xem [bài gốc](https://baolangson.vn/a).\n\n"
          "- Nghị quyết số 57-NQ/TU\n- Chỉ thị số 03-CT/TU\n\n"
          "![ảnh hội nghị](img/a.jpg)\n\n> Trích dẫn `quan trọng`.\n")
    text = read_text(write(tmp_path, "a.md", md.encode("utf-8")), LIMIT)
    assert text.startswith("Tạo đột phá trong cải cách hành chính\n")
    assert "Sáng 20/4/2021, Ban Thường vụ Tỉnh ủy họp, xem bài gốc." in text
    assert "Nghị quyết số 57-NQ/TU\nChỉ thị số 03-CT/TU" in text
    assert "Trích dẫn quan trọng." in text
    for markup in ("#", "**", "](", "https://", "`", "> "):
        assert markup not in text


def test_strip_markdown_keeps_plain_text_and_snake_case() -> None:
    plain = "Nghị quyết 57-NQ/TU, tỷ lệ 60/63 và 5.835 tỷ đồng; biến file_name_x giữ nguyên."
    assert strip_markdown(plain) == plain


def test_txt_is_kept_as_is(tmp_path: Path) -> None:
    text = "# Không phải Markdown\n\n**giữ nguyên**"
    assert read_text(write(tmp_path, "a.txt", text.encode("utf-8")), LIMIT) == text
