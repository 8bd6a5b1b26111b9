"""Layout regressions: every PDF drawn at 50 dpi and compared with committed reference images.

Regenerate the references after an intended layout change with
``QCFLOW_UPDATE_REFERENCES=1 .venv/bin/pytest tests/render/unit/test_reference_images.py``
and look at the new PNGs before committing them.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image, ImageChops, ImageStat

from services.render.domain.tables import TABLE_KINDS, fill_table
from services.render.renderers.bundle import Renderers
from services.render.renderers.pdf import PdfRenderer
from shared.events import ApplicationForm, GroupMember
from tests.builders import application_form
from tests.render.samples import (
    application_awarded,
    campaign_forwarded,
    group_registered,
    shipped_template,
    table_requested,
)

if TYPE_CHECKING:
    from collections.abc import Callable

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"
UPDATE = os.environ.get("QCFLOW_UPDATE_REFERENCES") == "1"
# Mean absolute difference per channel, 0-255, over the page. Rendering here is deterministic
# (0.0 between runs); the allowance is for antialiasing drift of another font or poppler build.
# Eleven more characters in one line of the certificate measure 0.27, a new QR code 1.5.
MAX_MEAN_DIFFERENCE = 0.15


def _application_form(renderers: Renderers) -> bytes:
    form = application_form()
    form["members"] = [GroupMember(**member) for member in form["members"]]
    return renderers.pdf.render_application_form(
        ApplicationForm(recommending_unit_name="西藏自治区质量协会", **form)
    )


def _table(kind: str) -> Callable[[Renderers], bytes]:
    def render(renderers: Renderers) -> bytes:
        event = table_requested(kind)
        table = fill_table(
            shipped_template(kind),
            unit_name=event.unit_name,
            year=event.campaign_year,
            header=event.header,
            rows=event.rows,
            footer=event.footer,
        )
        return renderers.table(table, ("pdf",))["pdf"]

    return render


DOCUMENTS: dict[str, Callable[[Renderers], bytes]] = {
    "application_form": _application_form,
    "registration_form": lambda r: r.registration_form(group_registered())["pdf"],
    "certificate": lambda r: r.certificate(application_awarded())["pdf"],
    "forwarded_notice": lambda r: r.forwarded_notice(campaign_forwarded())["pdf"],
    **{kind: _table(kind) for kind in TABLE_KINDS},
}


@pytest.fixture(scope="module")
def renderers() -> Renderers:
    return Renderers(pdf=PdfRenderer(), public_url="https://qcflow.example.cn")


def draw_pages(pdf: bytes, directory: Path, name: str) -> list[Path]:
    source = directory / f"{name}.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["/usr/bin/pdftoppm", "-r", "50", "-png", str(source), str(directory / name)],
        check=True,
        capture_output=True,
    )
    return sorted(directory.glob(f"{name}-*.png"))


def mean_difference(drawn: Path, reference: Path) -> float:
    with Image.open(drawn) as new, Image.open(reference) as old:
        if new.size != old.size:
            return float("inf")
        difference = ImageChops.difference(new.convert("RGB"), old.convert("RGB"))
        return sum(ImageStat.Stat(difference).mean) / 3


def references_of(name: str) -> list[Path]:
    return sorted(REFERENCE_DIR.glob(f"{name}-*.png"))


@pytest.mark.parametrize("name", DOCUMENTS)
def test_document_looks_like_its_reference(renderers: Renderers, name: str, tmp_path: Path) -> None:
    pages = draw_pages(DOCUMENTS[name](renderers), tmp_path, name)
    if UPDATE:
        REFERENCE_DIR.mkdir(exist_ok=True)
        for old in references_of(name):
            old.unlink()
        for page in pages:
            (REFERENCE_DIR / page.name).write_bytes(page.read_bytes())

    references = references_of(name)

    assert [page.name for page in pages] == [reference.name for reference in references]
    differences = {
        page.name: mean_difference(page, reference)
        for page, reference in zip(pages, references, strict=True)
    }
    assert max(differences.values()) < MAX_MEAN_DIFFERENCE, differences


def test_comparison_notices_a_changed_layout(renderers: Renderers, tmp_path: Path) -> None:
    """The tolerance is tight enough to catch a real change: a longer company name."""
    award = application_awarded(enterprise_name="国网西藏电力有限公司拉萨供电公司运维检修分部")
    pages = draw_pages(renderers.certificate(award)["pdf"], tmp_path, "certificate")

    (reference,) = references_of("certificate")

    assert mean_difference(pages[0], reference) > MAX_MEAN_DIFFERENCE
    assert mean_difference(pages[0], pages[0]) == 0
