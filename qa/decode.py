"""Read an article file into normalised text: encoding detection, HTML and Markdown to text.

Every refusal is an `InputError` whose message names the file and says what to do.
"""

from __future__ import annotations

import codecs
import errno
import logging
import os
import re
import stat
import unicodedata
from collections import Counter
from pathlib import Path

from qa.errors import InputError
from qa.text import normalize

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm")

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_MAGIC = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or a Word/Excel file)"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office document"),
    (b"Rar!", "a RAR archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"{\\rtf", "an RTF document"),
)
_MAX_CHAOS = 0.2  # charset-normalizer's mess ratio above which a legacy decoding is rejected
_ALLOWED_CONTROLS = set("\t\n\r\f")


# Legacy Vietnamese font encodings, as they look once read as Windows-1252 (or pasted as such).
# TCVN3 (ABC) puts marked letters on Latin-1 symbols: "Tr\xadêng §¹i häc" = "Trường Đại học".
_TCVN3_SIGNS = set("¨©ª«¬\xad®µ¸¶·¹»¼½¾×¡¢£¤¥¦§")
# VNI writes a base letter then a mark letter: "Vieät Nam", "Tröôøng", "ñaïi hoïc".
_VNI_PAIR = re.compile(r"[aeiouyAEIOUY](?:[øùûõïåäöëÙØÛÕÏÅÄÖË]|(?<=[aeAE])[áàãâêÁÀÃÂÊ]|(?<=[oO])[âêôÂÊÔ])"
                       r"|\b[ñÑ][aeiouöôAEIOUÖÔ]|[öÖ][ôÔ]")


_ASCII_LETTERS = re.compile(r"[A-Za-z]")
_FONT_SCAN_CHARS = 100_000  # a legacy-font text is so throughout: its start is enough to tell


def legacy_font(text: str) -> str | None:
    """The legacy font encoding ("TCVN3 (ABC)" or "VNI") the text was typed in, or None for Unicode."""
    sample = text[:_FONT_SCAN_CHARS]
    words = sample.split()
    visible = sum(len(w) for w in words)
    if not words or len(_ASCII_LETTERS.findall(sample)) < 0.4 * visible:
        return None  # legacy-font Vietnamese is mostly ASCII letters; this is something else
    tcvn3 = sum(1 for w in words if _tcvn3_word(w))
    vni = sum(1 for w in words if _VNI_PAIR.search(w))
    threshold = max(3, 0.1 * len(words))
    if tcvn3 >= threshold and tcvn3 >= vni:
        return "TCVN3 (ABC)"
    if vni >= threshold:
        return "VNI"
    return None


def _tcvn3_word(word: str) -> bool:
    """A word with a TCVN3 sign inside it, next to a letter (not a lone © or ® symbol)."""
    for i, c in enumerate(word):
        if c in _TCVN3_SIGNS:
            near = word[max(0, i - 1):i] + word[i + 1:i + 2]
            if any(n.isalpha() or n in _TCVN3_SIGNS for n in near):
                return True
    return False


def suffix_of(path: Path) -> str:
    """The lower-case extension, also of a name that is only one (".txt", which Path.suffix misses)."""
    name = Path(path).name.lower()
    return Path(name).suffix or (name if name in SUPPORTED_SUFFIXES else "")


def read_text(path: Path, max_bytes: int) -> str:
    """The text of a .txt, .md, .html or .htm file, decoded and normalised; InputError if unusable."""
    path = Path(path)
    suffix = suffix_of(path)
    if suffix not in SUPPORTED_SUFFIXES:
        shown = f"{suffix} is" if suffix else "a file without an extension is"
        raise InputError(f"{path.name}: {shown} not supported; use a .txt, .md, .html or .htm file.")
    return text_from_bytes(_read_bytes(path, max_bytes), suffix, path)


def text_from_bytes(data: bytes, suffix: str, path: Path) -> str:
    """The text of a file's bytes as read_text makes it, for a file of the given type (also a
    fetched web page: `path` is then anything with a `.name`, which refusals begin with)."""
    text = _decode(path, data)
    _refuse_binary_text(path, text)
    font = legacy_font(text)
    if font:
        raise InputError(f"{path.name}: the text is in the legacy {font} font encoding, not Unicode; "
                         "convert it to Unicode first (for example with UniKey's converter).")
    if suffix in (".html", ".htm"):
        text = _html_to_text(path, text)
    elif suffix == ".md":
        text = strip_markdown(text)
    text = normalize(text)
    if not text.strip():
        raise InputError(f"{path.name}: the file contains no text.")
    return text


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, read only from a regular file (a FIFO, socket or device would block or
    never end) and never more than the limit allows."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except IsADirectoryError:
        raise InputError(f"{path.name}: this is a folder, not a file.") from None
    except FileNotFoundError:
        raise InputError(f"{path.name}: the file does not exist.") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise InputError(f"{path.name}: this link leads back to itself (a loop of links).") from None
        raise InputError(f"{path.name}: the file could not be read ({_reason(exc)}).") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise InputError(f"{path.name}: this is a folder, not a file.")
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{path.name}: this is {_kind(info.st_mode)}, not a regular file.")
        if info.st_size > max_bytes:
            raise InputError(f"{path.name}: the file is {_mb(info.st_size)}, over the {_mb(max_bytes)} limit.")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{path.name}: the file could not be read ({_reason(exc)}).") from None
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        raise InputError(f"{path.name}: the file is over the {_mb(max_bytes)} limit.")
    if not data.strip():
        raise InputError(f"{path.name}: the file is empty.")
    return data


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a special file"


def _mb(n: int) -> str:
    return f"{n / 1_048_576:.1f} MB" if n >= 104_858 else f"{n:,} bytes"


def _decode(path: Path, data: bytes) -> str:
    """Bytes → str: BOM, then UTF-8, then a plausible legacy encoding found by charset-normalizer."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise InputError(f"{path.name}: the file starts with a {encoding.upper()} "
                                 "byte-order mark but is not valid text in that encoding.") from None
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise InputError(f"{path.name}: this is {kind}, not a text file; save the article "
                             "as .txt, .md or .html first.")
    if b"\x00" in data:
        text = _utf16_without_bom(data)
        if text is None:
            raise InputError(f"{path.name}: the file contains binary data, not text.")
        return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    font = legacy_font(data.decode("cp1252", errors="replace"))
    if font:
        raise InputError(f"{path.name}: the text is in the legacy {font} font encoding, not Unicode; "
                         "convert it to Unicode first (for example with UniKey's converter).")
    return _detect(path, data)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text saved without a byte-order mark: NUL bytes on one side of most pairs."""
    if len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    for half, encoding in ((odd, "utf-16-le"), (even, "utf-16-be")):
        if half.count(0) >= 0.3 * len(half):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                return None
            return text if _control_ratio(text) < 0.01 else None
    return None


def _detect(path: Path, data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.chaos > _MAX_CHAOS:
        raise InputError(f"{path.name}: the text encoding could not be recognised; "
                         "save the file as UTF-8 and try again.")
    text = str(best)
    if not _plausible(text):
        raise InputError(f"{path.name}: the text encoding could not be recognised; "
                         "save the file as UTF-8 and try again.")
    return unicodedata.normalize("NFC", text)


def _control_ratio(text: str) -> float:
    """Share of control, surrogate, private-use and unassigned characters (counted per distinct
    character, so a long text costs one pass in C)."""
    counts = Counter(text)
    bad = sum(n for c, n in counts.items() if c not in _ALLOWED_CONTROLS
              and unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn"))
    return bad / max(1, len(text))


def _plausible(text: str) -> bool:
    """Mostly letters, digits, spaces and punctuation, no control characters: real text."""
    if "\ufffd" in text or _control_ratio(text) > 0.001:
        return False
    counts = Counter(text)
    visible = sum(n for c, n in counts.items() if not c.isspace())
    letters = sum(n for c, n in counts.items() if c.isalpha() or unicodedata.category(c) == "Mn")
    return letters >= 0.5 * max(1, visible)


def _refuse_binary_text(path: Path, text: str) -> None:
    if _control_ratio(text) > 0.01:
        raise InputError(f"{path.name}: the file contains binary data, not text.")


# trafilatura's time grows with the square of the element count (2 s for 20,000 <p>, 75 s for
# 80,000 on this machine); news pages have a few thousand elements.
MAX_HTML_ELEMENTS = 20_000


def _count_elements(html: str) -> int:
    """Elements of the page as lxml parses it (in C: 20 ms for 20,000)."""
    import lxml.etree
    import lxml.html

    try:
        return sum(1 for _ in lxml.html.fromstring(html).iter())
    except (lxml.etree.ParserError, ValueError):
        return 0  # empty or unparsable: trafilatura finds no text and the page is refused for that


def _html_to_text(path: Path, html: str) -> str:
    """Main text of a web page (title first), without scripts, styles, menus or comments."""
    import trafilatura

    # trafilatura warns ("discarding data: None") on pages it finds nothing in; the refusal line
    # says so once, in our words, so its own lines would only break the one-line-per-file output.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)

    html = re.sub(r"^\s*<\?xml[^>]*\?>", "", html)  # lxml refuses str input with an encoding decl
    elements = _count_elements(html)
    if elements > MAX_HTML_ELEMENTS:
        raise InputError(f"{path.name}: the page has {elements:,} HTML elements, more than the "
                         f"{MAX_HTML_ELEMENTS:,} an article page needs; save the article's text as .txt instead.")
    doc = None
    for recall in (False, True):
        doc = trafilatura.bare_extraction(html, include_comments=False, include_tables=True,
                                          with_metadata=True, favor_recall=recall)
        if doc is not None and (doc.text or "").strip():
            break
    body = (doc.text or "").strip() if doc is not None else ""
    if not body:
        raise InputError(f"{path.name}: no article text could be found in this HTML page.")
    body = "\n\n".join(line.strip() for line in body.split("\n") if line.strip())
    title = (doc.title or "").strip()
    first = body.split("\n", 1)[0].strip()
    if title and normalize(title) != normalize(first):
        body = f"{title}\n\n{body}"
    return body


# Linear on any input: [ \t] where a line's start or end is matched (\s would run on through the
# following blank lines from every line start), and a span's inside never holds its own delimiter
# (an opener without a closer then stops at the next opener instead of scanning to the end).
_MD_RULES = (
    (re.compile(r"^[ \t]*(?:```|~~~).*$", re.M), ""),  # code fences
    (re.compile(r"^[ \t]{0,3}(?:[-*_][ \t]*){3,}$", re.M), ""),  # horizontal rules
    (re.compile(r"^[ \t]*\|?[ \t]*:?-{3,}:?[ \t]*(?:\|[ \t]*:?-{3,}:?[ \t]*)*\|?[ \t]*$", re.M), ""),  # table rules
    (re.compile(r"^[ \t]{0,3}\[[^\[\]\n]+\]:[ \t]*\S+.*$", re.M), ""),  # reference link definitions
    (re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.M), r"\1"),  # ATX headings
    (re.compile(r"^[ \t]{0,3}>[ \t]?", re.M), ""),  # block quotes
    (re.compile(r"^([ \t]*)[-*+][ \t]+(?=\S)", re.M), r"\1"),  # bullets
    (re.compile(r"!\[([^\[\]\n]*)\]\([^()\n]*\)"), r"\1"),  # images → alt text
    (re.compile(r"\[([^\[\]\n]+)\]\([^()\n]*\)"), r"\1"),  # links → link text
    (re.compile(r"\[([^\[\]\n]+)\]\[[^\[\]\n]*\]"), r"\1"),  # reference links
    (re.compile(r"<(https?://[^<>\s]+)>"), r"\1"),  # autolinks
    (re.compile(r"\*\*(?=\S)((?:[^*\n]|\*(?!\*))+?)(?<=\S)\*\*"), r"\1"),  # strong **x**
    (re.compile(r"__(?=\S)((?:[^_\n]|_(?!_))+?)(?<=\S)__"), r"\1"),  # strong __x__
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])"), r"\1"),  # emphasis *x*
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])"), r"\1"),  # emphasis _x_
    (re.compile(r"~~(?=\S)((?:[^~\n]|~(?!~))+?)(?<=\S)~~"), r"\1"),  # strike-through
    (re.compile(r"`([^`\n]+)`"), r"\1"),  # inline code
)


def strip_markdown(text: str) -> str:
    """Markdown → plain text, minimally: headings, emphasis, links, images, quotes, bullets."""
    for pattern, repl in _MD_RULES:
        text = pattern.sub(repl, text)
    return text
