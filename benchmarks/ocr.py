"""Character error rate of the product's OCR (qa/ocr.py: Tesseract with its Vietnamese model) on
pages rendered here from known Vietnamese text.

Each page is the opening of a seed article (real Vietnamese news text), drawn with Pillow in DejaVu
Sans or DejaVu Serif (Debian's fonts-dejavu-core) at 12 pt on an A4-wide page, at 150 and 300 dpi,
either clean or "scan-like" (turned 0.7°, blurred, speckled and saved as JPEG at quality 50, as
an office scanner's output looks), and read back through qa.ocr.recognise exactly as a scanned
page is read at ingest. CER = Levenshtein distance / length of the known text, whitespace
collapsed, NFC; seconds are per page on this machine (one Tesseract thread); "× clean 300" is the
row's CER over the same font's clean 300 dpi row (the same-run baseline).

    PYTHONPATH=.:.deps python benchmarks/ocr.py          # needs tesseract-ocr, tesseract-ocr-vie, rapidfuzz
    PYTHONPATH=.:.deps python benchmarks/ocr.py --pages 5 --chars 1500
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from PIL import Image

from qa import ocr

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
import docfiles  # noqa: E402  (the page renderer the OCR tests use)

FONTS = docfiles.FONTS


def render(text: str, dpi: int, font: str = "DejaVuSans.ttf", points: float = 12) -> Image.Image:
    """The text drawn black on white, wrapped to an A4 page's width (2.5 cm margins), at `dpi`."""
    return docfiles.scan(text, dpi, width_in=8.27, margin_in=2.5 / 2.54, font=FONTS / font, points=points)


def scan_like(img: Image.Image, seed: int = 7) -> Image.Image:
    """The page as a cheap office scan gives it: slightly turned, blurred, speckled, JPEG-compressed."""
    import io
    import random

    from PIL import ImageFilter

    rng = random.Random(seed)
    out = img.rotate(0.7, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    out = out.filter(ImageFilter.GaussianBlur(radius=out.width / 2500))
    px = out.load()
    for _ in range(out.width * out.height // 400):
        x, y = rng.randrange(out.width), rng.randrange(out.height)
        px[x, y] = rng.choice((0, 90, 170))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=50)
    return Image.open(io.BytesIO(buf.getvalue()))


def cer(expected: str, got: str) -> float:
    import unicodedata

    from rapidfuzz.distance import Levenshtein

    a, b = (" ".join(unicodedata.normalize("NFC", t).split()) for t in (expected, got))
    return Levenshtein.distance(a, b) / max(1, len(a))


def known_texts(pages: int, chars: int) -> list[str]:
    out = []
    for path in sorted((ROOT / "seeds").glob("*.txt"))[:pages]:
        text = path.read_text(encoding="utf-8").strip()
        cut = text[:chars].rsplit(" ", 1)[0]
        out.append("\n".join(p.strip() for p in cut.split("\n") if p.strip()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=3, help="seed articles, one page each")
    ap.add_argument("--chars", type=int, default=1200, help="characters of each article on its page")
    args = ap.parse_args()
    why = ocr.unavailable("vie")
    if why:
        raise SystemExit(f"benchmarks/ocr.py: {why[0]}.")
    texts = known_texts(args.pages, args.chars)
    print(
        f"{'font':<12} {'page':<9} {'dpi':>4} {'pages':>5} {'CER %':>6} {'worst %':>8} {'× clean 300':>11} "
        f"{'s/page':>7}"
    )
    for font in ("DejaVuSans.ttf", "DejaVuSerif.ttf"):
        base = None
        for kind, dpi in (("clean", 300), ("clean", 150), ("scan-like", 300), ("scan-like", 150)):
            errors, seconds = [], []
            for text in texts:
                img = render(text, dpi, font)
                img = scan_like(img) if kind == "scan-like" else img
                t = time.perf_counter()
                got = ocr.recognise(img, "bench", "page 1", "vie", 600, dpi)
                seconds.append(time.perf_counter() - t)
                errors.append(cer(text, got))
            mean = sum(errors) / len(errors)
            base = base if base is not None else mean
            ratio = f"{mean / base:.2f}" if base else "-"
            print(
                f"{font.removesuffix('.ttf'):<12} {kind:<9} {dpi:>4} {len(texts):>5} {100 * mean:>6.2f} "
                f"{100 * max(errors):>8.2f} {ratio:>11} {sum(seconds) / len(seconds):>7.1f}"
            )


if __name__ == "__main__":
    main()
