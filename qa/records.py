"""Core data types passed between stages: Article → Chunk → Hit → Citation → Answer."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Metadata:
    """What was read off an article besides its text."""

    title: str = ""
    date: str | None = None  # ISO "YYYY-MM-DD", or "--MM-DD" when the year is not given
    source: str | None = None
    author: str | None = None
    provinces: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    doc_numbers: tuple[str, ...] = ()
    pages: tuple[int, ...] = ()  # a PDF's (or TIFF's) pages: where each starts in the text; () when not paged
    ocr_pages: tuple[int, ...] = ()  # the pages (numbered from 1) whose text was read by OCR

    def page_at(self, offset: int) -> int | None:
        """The page (numbered from 1) holding text[offset], or None for a text without pages."""
        return bisect_right(self.pages, offset) or None if self.pages else None

    def ocr_within(self, start: int, end: int) -> bool:
        """Whether any text of text[start:end] was read by OCR."""
        first, last = self.page_at(start), self.page_at(max(start, end - 1))
        return first is not None and any(first <= p <= last for p in self.ocr_pages)
    url: str | None = None  # where a web article was fetched from (after redirects)


@dataclass(frozen=True)
class Article:
    """A cleaned article; citations are character offsets into `text`."""

    id: str
    file: str
    text: str
    meta: Metadata = field(default_factory=Metadata)

    def to_json(self) -> dict:
        """The article with its metadata, as `qa show --json` and the HTTP API give it."""
        return {"id": self.id, "file": self.file, "text": self.text, **asdict(self.meta)}


@dataclass(frozen=True)
class Chunk:
    """A span of an article: `article.text[start:end] == text`."""

    article_id: str
    ordinal: int
    start: int
    end: int
    text: str

    @property
    def id(self) -> str:
        return f"{self.article_id}#{self.ordinal}"


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and per-retriever ranks (1-based, 0 = not found)."""

    pos: int
    chunk: Chunk
    score: float
    ranks: dict[str, int] = field(default_factory=dict)
    cosine: float | None = None


@dataclass(frozen=True)
class Citation:
    """A numbered passage an answer points at."""

    n: int
    article_id: str
    file: str
    title: str
    source: str | None
    date: str | None
    province: str | None
    start: int
    end: int
    text: str
    score: float
    page: int | None = None  # the PDF page the passage starts on
    ocr: bool = False  # the passage's text was read by OCR from a scan (it may hold misread letters)
    url: str | None = None  # the original web page, for an article ingested by URL


@dataclass(frozen=True)
class Span:
    """A stretch of an article's text: `article.text[start:end] == text`."""

    article_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Quote:
    """A sentence the answer quotes, with the number of the citation it comes from."""

    n: int
    article_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Answer:
    """The answer to one question, with the passages it came from.

    `found` is false when the articles do not answer the question: `citations` is then empty and
    the closest passages are under `related`, as reading, not as the answer."""

    question: str
    answer: str
    citations: tuple[Citation, ...]
    found: bool = True
    sentences: tuple[Quote, ...] = ()
    short_answer: Span | None = None
    related: tuple[Citation, ...] = ()
    resolved_question: str = ""  # the question as answered (a follow-up completed from the history)
    answer_type: str = "sentence"
    confidence: float = 0.0
    partial: bool = False  # part of a sharded index could not be searched (a shard with no live replica)

    @property
    def highlights(self) -> tuple[tuple[int, int, int], ...]:
        """(citation n, start, end) of the quoted sentences."""
        return tuple((s.n, s.start, s.end) for s in self.sentences)

    def to_json(self) -> dict:
        """The JSON shape shared by `qa ask --json` and the HTTP API."""
        return {"question": self.question, "resolved_question": self.resolved_question or self.question,
                "answer": self.answer, "found": self.found, "answer_type": self.answer_type,
                "confidence": round(self.confidence, 4), "partial": self.partial,
                "short_answer": asdict(self.short_answer) if self.short_answer else None,
                "sentences": [asdict(s) for s in self.sentences],
                "citations": [asdict(c) for c in self.citations],
                "related": [asdict(c) for c in self.related]}
