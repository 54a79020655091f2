"""OCR of scanned pages with RapidOCR (the optional `policyqa[ocr]` extra) into positioned row segments."""

from __future__ import annotations

import functools
import importlib.util
import logging
import re
from pathlib import Path
from typing import Any

from ..errors import PolicyQAError
from ..text.clean import CJK
from .layout import Segment

logger = logging.getLogger(__name__)

INSTALL_HINT = (
    "OCR is not installed: pip install 'policyqa[ocr]' (rapidocr + onnxruntime) to read scanned pages"
)
"""What a skipped scanned page or image says, so the user knows the one command that fixes it."""

MAX_IMAGE_PIXELS = 40_000_000
"""Bigger images are reported, not decoded: 40 MP is an A3 scan at 600 dpi; a larger one is a mistake or
a decompression bomb, and OCR on it would take minutes and gigabytes."""

MAX_OCR_SIDE = 2400
"""Scanned PDF pages are rendered so their longer side has at most this many pixels (about 200 dpi on
A4): enough for 9-point Chinese, and it keeps one page's OCR to seconds."""

OCR_DPI = 200
"""Rendering resolution for scanned PDF pages, before the MAX_OCR_SIDE cap."""

MIN_SCORE = 0.5
"""OCR lines recognised with less confidence are noise (stains, photos) and are left out."""

HALF_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
"""OCR reads Chinese punctuation as ASCII; the text rules (sentence ends, clause breaks, bylines in
（…）) expect the full-width forms, so ASCII marks next to Han characters are mapped here, and only here."""

_HALF_PUNCT = re.compile(rf"(?<=[{CJK}])([,;:?!(])|([,;:?!()])(?=[{CJK}])|(?<=[{CJK}])(\))")
_HALF_STOP = re.compile(rf"(?<=[{CJK}%）”])\.(?=[{CJK}“”]|$)")


class OCRUnavailableError(PolicyQAError):
    """The OCR extra is not installed."""


class ImageTooLargeError(PolicyQAError):
    """An image with more pixels than MAX_IMAGE_PIXELS."""


def to_fullwidth(text: str) -> str:
    """Map the ASCII punctuation OCR writes beside Chinese text to its full-width form.

    3.5亿元, S104 and (2023) between digits stay as they are: only marks touching a Han character change,
    and a full stop only after a Han character (or %, ）, ”) before another or the line's end (1.2公里 keeps
    its point).
    """
    text = _HALF_PUNCT.sub(lambda m: HALF_TO_FULL[m.group(m.lastindex or 0)], text)
    return _HALF_STOP.sub("。", text)


def ocr_available() -> bool:
    """Whether the OCR extra is installed (checked without loading its models)."""
    return all(importlib.util.find_spec(name) is not None for name in ("rapidocr", "onnxruntime"))


@functools.cache
def _engine() -> Any:
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise OCRUnavailableError(INSTALL_HINT) from exc
    # The models ship inside the wheel; loading them takes about a second, so one engine serves the run.
    return RapidOCR(params={"Global.log_level": "error"})


def ocr_segments(image: Any, height: int) -> list[Segment]:
    """Row segments of an image (y turned upward, like PDF space), punctuation mapped to full width.

    Raises:
        OCRUnavailableError: the OCR extra is not installed.
    """
    result = _engine()(image)
    if result.boxes is None or result.txts is None:
        return []
    segments = []
    for box, text, score in zip(result.boxes.tolist(), result.txts, result.scores, strict=True):
        if score < MIN_SCORE or not text.strip():
            continue
        xs, ys = [p[0] for p in box], [p[1] for p in box]
        segments.append(
            Segment(to_fullwidth(text.strip()), min(xs), height - max(ys), max(xs), height - min(ys))
        )
    return segments


def ocr_image_file(path: Path) -> tuple[list[Segment], float]:
    """OCR an image file; returns its segments and its height in pixels.

    Raises:
        OCRUnavailableError: the OCR extra is not installed.
        ImageTooLargeError: the image has more than MAX_IMAGE_PIXELS pixels.
        OSError: the file cannot be read or is not an image Pillow knows.
    """
    _engine()
    from PIL import Image

    # Image.open reads only the header: the size is known before any pixel is decoded.
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ImageTooLargeError(
                    f"image too large to OCR: {width}x{height} pixels (limit {MAX_IMAGE_PIXELS / 1e6:.0f} MP)"
                )
            rgb = image.convert("RGB")
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(f"image too large to OCR: {exc}") from exc
    import numpy as np

    # RapidOCR works in OpenCV's BGR order.
    return ocr_segments(np.asarray(rgb)[:, :, ::-1], height), float(height)


def ocr_scale(width_pt: float, height_pt: float) -> float:
    """Render scale for a scanned PDF page: OCR_DPI, capped so the longer side fits MAX_OCR_SIDE."""
    return min(OCR_DPI / 72, MAX_OCR_SIDE / max(width_pt, height_pt, 1.0))
