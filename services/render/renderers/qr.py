"""QR codes as inline SVG: the PDF carries the drawing, WeasyPrint fetches nothing."""

from __future__ import annotations

import qrcode
from markupsafe import Markup
from qrcode.image.svg import SvgPathImage


def qr_svg(payload: str) -> Markup:
    image = qrcode.make(payload, image_factory=SvgPathImage, border=1)
    svg = image.to_string(encoding="unicode")
    # Our own drawing of a URL we built, not applicant text: safe to place unescaped.
    return Markup(svg)  # noqa: S704 - generated SVG, no user markup inside
