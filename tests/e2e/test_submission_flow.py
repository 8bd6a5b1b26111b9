"""Steps 1–6 of the skeleton through the four services as real processes."""

from __future__ import annotations

import hashlib
import io
import json
import time
import uuid
from collections.abc import Iterator
from functools import partial
from typing import Any

import httpx
import pytest
from docx import Document
from pypdf import PdfReader

from tests.builders import application_form, pdf_bytes, unique
from tests.support.infra import Infra
from tests.support.platform import Platform, demo_platform, wait_for
from tests.support.smtp import SmtpServer

DEMO_PASSWORD = "e2e-demo-password"


@pytest.fixture(scope="module")
def platform(
    infra: Infra, smtp: SmtpServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    with demo_platform(
        infra,
        name="e2e",
        smtp_port=smtp.port,
        data_dir=tmp_path_factory.mktemp("e2e"),
        demo_password=DEMO_PASSWORD,
    ) as running:
        yield running


def login(platform: Platform, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{platform.url('intake')}/api/login",
        json={"username": username, "password": DEMO_PASSWORD},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def embedded_font_names(reader: PdfReader) -> set[str]:
    names: set[str] = set()
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        fonts: dict[str, Any] = resources.get("/Font", {}) if isinstance(resources, dict) else {}
        for ref in fonts.values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor and any(
                    k in descriptor.get_object() for k in ("/FontFile2", "/FontFile3")
                ):
                    names.add(str(font["/BaseFont"]))
    return names


def test_applicant_submits_and_every_service_plays_its_part(platform: Platform, smtp: SmtpServer):
    intake = platform.url("intake")
    applicant = login(platform, "applicant")
    group_name = unique("雪域先锋QC小组")
    created = httpx.post(
        f"{intake}/api/applications",
        headers=applicant,
        json=application_form(group_name=group_name),
    )
    assert created.status_code == 201, created.text
    application = created.json()
    app_url = f"{intake}/api/applications/{application['application_id']}"
    assert application["status"] == "draft"
    assert application["certificate_line"] == f"国网西藏电力有限公司拉萨供电公司 {group_name}"

    evidence = pdf_bytes()
    uploaded = httpx.post(
        f"{app_url}/files",
        params={"filename": "活动记录.pdf"},
        headers={**applicant, "Content-Type": "application/pdf"},
        content=evidence,
    )
    assert uploaded.status_code == 201, uploaded.text
    assert uploaded.json()["sha256"] == hashlib.sha256(evidence).hexdigest()

    submitted_at = time.monotonic()
    submitted = httpx.post(
        f"{app_url}/submit",
        headers=applicant,
        json={"confirm_certificate_line": application["certificate_line"]},
    )
    assert submitted.status_code == 200, submitted.text
    assert (submitted.json()["status"], submitted.json()["revision"]) == ("submitted", 1)

    documents = wait_for(lambda: httpx.get(app_url, headers=applicant).json()["documents"], 90)
    assert sorted(d["format"] for d in documents) == ["docx", "pdf"]

    mails = wait_for(
        lambda: [
            m
            for m in smtp.inbox.to("applicant@demo.qcflow.local")
            if group_name in str(m["Subject"])
        ],
        60,
    )
    latency_s = time.monotonic() - submitted_at
    print(f"\ne2e latency submit -> documents + receipt mail: {latency_s:.2f} s")
    assert len(mails) == 1
    plain = mails[0].get_body(preferencelist=("plain",))
    assert plain is not None
    body = plain.get_content()
    assert "提交成功" in body
    assert f"{app_url}/documents/pdf" in body
    assert f"{app_url}/documents/docx" in body

    secretary = login(platform, "xizang-secretary")
    entries = wait_for(
        lambda: httpx.get(f"{platform.url('review')}/api/entries", headers=secretary).json(), 30
    )
    assert application["application_id"] in [e["application_id"] for e in entries]

    pdf = httpx.get(f"{app_url}/documents/pdf", headers=applicant)
    assert pdf.status_code == 200
    assert pdf.headers["content-disposition"].startswith("attachment;")
    assert pdf.headers["x-content-type-options"] == "nosniff"
    reader = PdfReader(io.BytesIO(pdf.content))
    text = "".join(page.extract_text() for page in reader.pages).replace(" ", "").replace("\n", "")
    assert group_name in text
    assert "降低配电网线路故障停电时长" in text
    assert "全国优秀质量管理小组申报表" in text
    assert any("WenQuanYi" in name for name in embedded_font_names(reader))

    docx = httpx.get(f"{app_url}/documents/docx", headers=applicant)
    cells = [
        cell.text
        for table in Document(io.BytesIO(docx.content)).tables
        for row in table.rows
        for cell in row.cells
    ]
    assert any(group_name in cell for cell in cells)

    time.sleep(1.0)  # a duplicate receipt would have arrived by now
    assert (
        len(
            [
                m
                for m in smtp.inbox.to("applicant@demo.qcflow.local")
                if group_name in str(m["Subject"])
            ]
        )
        == 1
    )


def test_other_enterprise_cannot_read_the_application(platform: Platform):
    applicant = login(platform, "applicant")
    created = httpx.post(
        f"{platform.url('intake')}/api/applications", headers=applicant, json=application_form()
    ).json()
    secretary = login(platform, "xizang-secretary")
    response = httpx.get(
        f"{platform.url('intake')}/api/applications/{created['application_id']}", headers=secretary
    )
    assert response.status_code == 403
    assert "无权" in response.json()["detail"]


def test_correlation_id_travels_from_the_request_through_every_event(platform: Platform):
    applicant = login(platform, "applicant")
    correlation = uuid.uuid4().hex
    headers = {**applicant, "X-Correlation-ID": correlation}
    created = httpx.post(
        f"{platform.url('intake')}/api/applications",
        headers=headers,
        json=application_form(group_name=unique("追踪QC小组")),
    ).json()
    app_url = f"{platform.url('intake')}/api/applications/{created['application_id']}"
    submitted = httpx.post(
        f"{app_url}/submit",
        headers=headers,
        json={"confirm_certificate_line": created["certificate_line"]},
    )
    assert submitted.headers["x-correlation-id"] == correlation
    wait_for(lambda: httpx.get(app_url, headers=applicant).json()["documents"], 90)

    def logged_with_correlation(service: str) -> list[dict[str, Any]]:
        lines = [
            json.loads(line) for line in platform.log(service).splitlines() if line.startswith("{")
        ]
        return [line for line in lines if line.get("correlation_id") == correlation]

    for service in ("review", "render", "notify", "intake"):
        handled = wait_for(partial(logged_with_correlation, service), 30)
        assert any("handled" in line["message"] for line in handled), service


def test_metrics_expose_bus_http_outbox_and_dead_letter_figures(platform: Platform):
    for service in ("intake", "review", "render", "notify"):
        text = httpx.get(f"{platform.url(service)}/metrics").text
        for metric in (
            "qcflow_outbox_pending",
            "qcflow_dead_letters",
            "qcflow_queue_consumers 1.0",
        ):
            assert metric in text, (service, metric)
    intake_metrics = httpx.get(f"{platform.url('intake')}/metrics").text
    assert "http_requests_total" in intake_metrics
    render_metrics = httpx.get(f"{platform.url('render')}/metrics").text
    assert "faststream_received_messages_total" in render_metrics
    assert 'qcflow_handler_seconds_count{event_type="application.submitted"}' in render_metrics
