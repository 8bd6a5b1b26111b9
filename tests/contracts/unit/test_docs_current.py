"""The committed integrator documents are what the code generates (`make docs` rewrites them)."""

from __future__ import annotations

import pytest

from services.cli import generated_docs

DOCUMENTS = generated_docs()


@pytest.mark.parametrize("path", sorted(DOCUMENTS), ids=lambda path: path.name)
def test_committed_document_is_current(path):
    assert path.exists(), f"{path} is missing: run `make docs`"
    assert path.read_text() == DOCUMENTS[path], f"{path} is stale: run `make docs` and commit it"


def test_asyncapi_documents_every_service_queue_and_event():
    asyncapi = next(text for path, text in DOCUMENTS.items() if path.suffix == ".yaml")
    for name in (
        "intake.events",
        "review.events",
        "render.events",
        "notify.events",
        "application.submitted",
        "document.rendered",
        "unit.disqualified",
    ):
        assert f"{name}:" in asyncapi, name
