"""Every PDF of render, laid out by WeasyPrint: 附件3 申报表 and the documents.css documents."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from services.render.renderers import normalize_text, topic_type_choices

if TYPE_CHECKING:
    from collections.abc import Mapping

    from shared.events.intake import ApplicationForm

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
ASSET_SCHEME = "qcflow-asset:"

_TEMPLATE_NAME = "application_form.html"
_STYLESHEET_NAME = "application_form.css"
_DOCUMENTS_STYLESHEET_NAME = "documents.css"
# The only files WeasyPrint may ever load, with their media types.
_BUNDLED_ASSETS = {_STYLESHEET_NAME: "text/css", _DOCUMENTS_STYLESHEET_NAME: "text/css"}


def asset_url(name: str) -> str:
    return f"{ASSET_SCHEME}{name}"


class DisallowedURLError(ValueError):
    """WeasyPrint asked for a URL that is not one of the bundled assets."""


# WeasyPrint ships no type information, so its base class is `Any` to mypy.
class BundledAssetFetcher(URLFetcher):  # type: ignore[misc]
    """Serves the allow-listed files under templates/ and refuses every other URL.

    Applicant text is autoescaped, so no URL of theirs should reach WeasyPrint; this is the
    second wall against server-side requests (http:, file:, data: ...) if one ever does.
    """

    def __init__(self, assets: Mapping[str, str] = _BUNDLED_ASSETS) -> None:
        # No protocol allowed: the inherited urllib machinery must stay unusable.
        super().__init__(allowed_protocols=frozenset(), allow_redirects=False)
        self._assets = {
            asset_url(name): ((TEMPLATES_DIR / name).read_bytes(), media_type)
            for name, media_type in assets.items()
        }

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        del headers  # part of WeasyPrint's fetcher signature; bundled assets need none
        try:
            body, media_type = self._assets[url]
        except KeyError:
            raise DisallowedURLError(f"refusing to fetch {url!r}: not a bundled asset") from None
        return URLFetcherResponse(url, body=body, headers={"Content-Type": media_type})


def _printable(value: object) -> object:
    # Markup is the template's own (|safe); only plain strings can come from the applicant.
    if isinstance(value, str) and not isinstance(value, Markup):
        return normalize_text(value)
    return value


class PdfRenderer:
    """Build once per process: the template, stylesheet and fonts are parsed only here."""

    def __init__(self) -> None:
        self.url_fetcher = BundledAssetFetcher()
        self._font_config = FontConfiguration()
        self._environment = environment = Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            autoescape=True,
            finalize=_printable,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self._template = environment.get_template(_TEMPLATE_NAME)
        self._stylesheet = self._parse_stylesheet(_STYLESHEET_NAME)
        self._documents_stylesheet = self._parse_stylesheet(_DOCUMENTS_STYLESHEET_NAME)
        # Pango/fontconfig state in the shared FontConfiguration is not thread-safe.
        self._lock = threading.Lock()

    def render_application_form(self, form: ApplicationForm) -> bytes:
        html = self._template.render(form=form, topic_choices=topic_type_choices(form))
        return self._write(html, self._stylesheet)

    def render_document(self, template_name: str, **context: object) -> bytes:
        """One of the documents styled by documents.css; Jinja keeps the parsed template."""
        html = self._environment.get_template(template_name).render(**context)
        return self._write(html, self._documents_stylesheet)

    def _parse_stylesheet(self, name: str) -> CSS:
        return CSS(url=asset_url(name), url_fetcher=self.url_fetcher, font_config=self._font_config)

    def _write(self, html: str, stylesheet: CSS) -> bytes:
        document = HTML(string=html, url_fetcher=self.url_fetcher)
        with self._lock:
            pdf: bytes = document.write_pdf(stylesheets=[stylesheet], font_config=self._font_config)
        return pdf
