"""Article → Chunks with exact character offsets (langchain-text-splitters)."""

from __future__ import annotations

from functools import lru_cache

from .records import Article, Chunk

# Paragraphs, lines, then Vietnamese sentence and clause ends, then words.
SEPARATORS = ["\n\n", "\n", r"(?<=[.!?…])\s+", r"(?<=[;:])\s+", r"(?<=,)\s+", r"\s+", ""]


# The libraries whose versions decide an article's text (HTML extraction, encoding detection) and its
# chunks: an index records them, so an upgrade of one is a rebuild, not silently different chunks and ids.
TEXT_LIBRARIES = ("langchain-text-splitters", "trafilatura", "charset-normalizer")


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in TEXT_LIBRARIES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


@lru_cache(maxsize=8)
def _splitter(size: int, overlap: int):
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(
        chunk_size=size,
        chunk_overlap=overlap,
        separators=SEPARATORS,
        is_separator_regex=True,
        keep_separator="end",
        add_start_index=True,
        strip_whitespace=True,
    )


def chunk_article(article: Article, size: int, overlap: int) -> list[Chunk]:
    """Split an article into chunks whose offsets point exactly into `article.text`."""
    docs = _splitter(size, overlap).create_documents([article.text])
    spans: list[tuple[int, int]] = []
    cursor = 0
    for doc in docs:
        piece = doc.page_content
        start = doc.metadata.get("start_index", -1)
        if start < 0 or article.text[start : start + len(piece)] != piece:
            start = article.text.find(piece, cursor)
        if start < 0:  # the splitter altered the text; never cite a span that is not verbatim
            raise ValueError(f"chunk {len(spans)} of {article.file} is not a verbatim span")
        cursor = start + 1
        spans.append((start, start + len(piece)))
    return [Chunk(article.id, i, a, b, article.text[a:b]) for i, (a, b) in enumerate(_merge_small(spans, size))]


def _merge_small(spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Join a chunk shorter than a quarter of `size` to its neighbour (a lone heading or byline is no passage)."""
    out: list[tuple[int, int]] = []
    for a, b in spans:
        if out and (b - a < size // 4 or out[-1][1] - out[-1][0] < size // 4) and b - out[-1][0] <= size * 3 // 2:
            out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out
