"""注册登记表, certificate, forwarded notice and the three tables: content, fonts, safety."""

from __future__ import annotations

import io
import re
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

import pytest
from openpyxl import load_workbook

from services.render.domain.tables import TABLE_KINDS, fill_table
from services.render.renderers.bundle import Renderers, verify_url
from services.render.renderers.pdf import PdfRenderer
from services.render.renderers.qr import qr_svg
from shared.events import GroupMember, MemberRole
from tests.render.samples import (
    application_awarded,
    campaign_forwarded,
    docx_paragraphs,
    docx_runs_without_east_asian_font,
    embedded_fonts,
    group_registered,
    pdf_pages,
    pdf_text,
    shipped_template,
    squash,
    table_requested,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from services.render.domain.tables import FilledTable
    from shared.events import TableRequested

PUBLIC_URL = "https://qcflow.example.cn"


@pytest.fixture(scope="module")
def renderers() -> Renderers:
    return Renderers(pdf=PdfRenderer(), public_url=PUBLIC_URL)


def filled(event: TableRequested) -> FilledTable:
    return fill_table(
        shipped_template(event.table_kind),
        unit_name=event.unit_name,
        year=event.campaign_year,
        header=event.header,
        rows=event.rows,
        footer=event.footer,
    )


def every_pdf(renderers: Renderers) -> Iterator[tuple[str, bytes]]:
    yield "registration", renderers.registration_form(group_registered())["pdf"]
    yield "certificate", renderers.certificate(application_awarded())["pdf"]
    yield "notice", renderers.forwarded_notice(campaign_forwarded())["pdf"]
    for kind in TABLE_KINDS:
        yield kind, renderers.table(filled(table_requested(kind)), ("pdf",))["pdf"]


def every_docx(renderers: Renderers) -> Iterator[tuple[str, bytes]]:
    yield "registration", renderers.registration_form(group_registered())["docx"]
    for kind in TABLE_KINDS:
        yield kind, renderers.table(filled(table_requested(kind)), ("docx",))["docx"]


# --- 注册登记表 -------------------------------------------------------------------------------


def test_registration_form_pdf_and_docx_hold_every_field(renderers: Renderers) -> None:
    group = group_registered()
    assert group.topic is not None

    outputs = renderers.registration_form(group)

    expected = [
        "质量管理小组注册登记表",
        group.registration_number,
        group.enterprise_name,
        group.group_name,
        group.registered_on,
        group.founded_on,
        group.leader,
        group.adviser,
        group.activity_frequency,
        *(member.name for member in group.members),
        *(member.department for member in group.members),
        group.topic.topic_name,
        group.topic.registration_number,
        "问题解决型（指令性目标）",
        group.topic.planned_start,
        group.topic.planned_end,
        "单位审核意见",
        "单位盖章",
    ]
    pdf = pdf_text(outputs["pdf"])
    docx = squash("".join(docx_paragraphs(outputs["docx"])))
    assert [value for value in expected if squash(value) not in pdf] == []
    assert [value for value in expected if squash(value) not in docx] == []


def test_registration_form_with_many_members_breaks_across_pages(renderers: Renderers) -> None:
    members = tuple(
        GroupMember(name=f"成员{index:03d}号", role=MemberRole.MEMBER, department="很长" * 8)
        for index in range(90)
    )

    pdf = renderers.registration_form(group_registered(members=members))["pdf"]

    text = pdf_text(pdf)
    assert pdf_pages(pdf) > 1
    assert [m.name for m in members if m.name not in text] == []
    assert re.findall(r"成员\d{3}号", text) == [m.name for m in members]


def test_registration_form_without_topic_says_so(renderers: Renderers) -> None:
    outputs = renderers.registration_form(group_registered(topic=None))

    assert "（未登记课题）" in pdf_text(outputs["pdf"])
    assert "（未登记课题）" in "".join(docx_paragraphs(outputs["docx"]))


# --- certificate and notice -------------------------------------------------------------------


def test_certificate_prints_names_exactly_with_serial_and_verify_url(
    renderers: Renderers,
) -> None:
    award = application_awarded(enterprise_name="中国石油化工股份有限公司镇海炼化分公司")

    pdf = renderers.certificate(award)["pdf"]

    text = pdf_text(pdf)
    assert pdf_pages(pdf) == 1
    assert squash(f"{award.enterprise_name}{award.group_name}：") in text
    assert f"《{award.topic_name}》" in text
    assert "2023年度全国优秀质量管理小组" in text
    assert f"证书编号：{award.certificate_serial}" in text
    assert f"{PUBLIC_URL}/verify/{award.certificate_serial}" in text


def qr_modules(svg: str) -> set[tuple[int, int]]:
    """Dark modules of a qrcode SvgPathImage: one unit square `Mx,yH…V…H…z` per module."""
    return {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", svg)}


def test_certificate_qr_code_encodes_the_verify_url() -> None:
    import qrcode  # noqa: PLC0415 - only this test rebuilds the matrix independently

    url = verify_url(PUBLIC_URL + "/", "QC2023-00042")
    code = qrcode.QRCode(border=1)
    code.add_data(url)
    matrix = code.get_matrix()

    modules = qr_modules(str(qr_svg(url)))

    expected = {(x, y) for y, row in enumerate(matrix) for x, dark in enumerate(row) if dark}
    assert url == f"{PUBLIC_URL}/verify/QC2023-00042"
    assert modules == expected


def test_notice_has_masthead_number_title_body_deadline_and_contacts(
    renderers: Renderers,
) -> None:
    notice = campaign_forwarded()

    text = pdf_text(renderers.forwarded_notice(notice)["pdf"])

    expected = [
        "西藏自治区质量协会文件",
        notice.unit_doc_number,
        notice.title,
        "各会员单位及相关组织：",
        *notice.body.splitlines(),
        "请于2023年6月28日前（北京时间）",  # 15:59 UTC is 23:59 in Beijing
        "朗杰",
        "0891-6815193",
        "1683195601@qq.com",
        "qc@caq.org.cn",
        "2023年4月10日",
    ]
    assert [value for value in expected if squash(value) not in text] == []


def test_notice_long_body_breaks_across_pages_without_losing_a_character(
    renderers: Renderers,
) -> None:
    body = "\n".join(
        f"第{index:03d}条各会员单位认真组织申报工作并按时提交材料。" for index in range(150)
    )

    pdf = renderers.forwarded_notice(campaign_forwarded(body=body))["pdf"]

    assert pdf_pages(pdf) > 1
    assert squash(body) in pdf_text(pdf)


# --- tables ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", TABLE_KINDS)
def test_table_formats_hold_every_header_and_cell(renderers: Renderers, kind: str) -> None:
    table = filled(table_requested(kind))

    outputs = renderers.table(table, ("pdf", "docx", "xlsx"))

    cells = [cell for row in table.rows for cell in row if cell]
    expected = [table.title, *table.column_headers, *cells, *table.closing_lines]
    pdf = pdf_text(outputs["pdf"])
    docx = squash("".join(docx_paragraphs(outputs["docx"])))
    sheet = load_workbook(io.BytesIO(outputs["xlsx"])).active
    assert sheet is not None
    xlsx = squash("".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c))
    for text in (pdf, docx, xlsx):
        assert [value for value in expected if squash(value) not in text] == []


def test_table_renders_only_the_requested_formats(renderers: Renderers) -> None:
    outputs = renderers.table(filled(table_requested()), ("xlsx", "pdf", "xlsx"))

    assert list(outputs) == ["xlsx", "pdf"]


def test_long_table_repeats_its_heading_and_keeps_every_row(renderers: Renderers) -> None:
    rows = tuple(
        row | {"enterprise_name": f"第{index:03d}号企业"}
        for index, row in enumerate(table_requested("review_summary").rows * 40)
    )
    table = filled(table_requested("review_summary", rows=rows))

    pdf = renderers.table(table, ("pdf",))["pdf"]

    text = pdf_text(pdf)
    pages = pdf_pages(pdf)
    assert pages > 1
    assert re.findall(r"第\d{3}号企业", text) == [row["enterprise_name"] for row in rows]
    # The heading repeats on every page the table reaches; the signature block may end alone.
    assert pages - 1 <= text.count("去掉最高最低后平均分") <= pages


def test_xlsx_keeps_formula_like_text_as_text(renderers: Renderers) -> None:
    rows = ({"enterprise_name": '=HYPERLINK("http://evil")', "score": "88"},)
    table = filled(table_requested(rows=rows))

    sheet = load_workbook(io.BytesIO(renderers.table(table, ("xlsx",))["xlsx"])).active

    assert sheet is not None
    cell = next(
        c for row in sheet.iter_rows() for c in row if c.value == rows[0]["enterprise_name"]
    )
    assert cell.data_type == "s"


def test_xlsx_columns_follow_the_template_widths(renderers: Renderers) -> None:
    table = filled(table_requested("activity_statistics"))

    sheet = load_workbook(io.BytesIO(renderers.table(table, ("xlsx",))["xlsx"])).active

    assert sheet is not None
    widths = [sheet.column_dimensions[chr(ord("A") + i)].width for i in range(len(table.rows[0]))]
    assert widths == list(table.column_widths)
    assert sheet.page_setup.orientation == "landscape"


# --- fonts ----------------------------------------------------------------------------------


def test_every_pdf_embeds_only_subset_fonts_with_the_cjk_one(renderers: Renderers) -> None:
    for name, pdf in every_pdf(renderers):
        fonts = embedded_fonts(pdf)
        assert fonts, name
        assert all(is_embedded for _font, is_embedded in fonts), (name, fonts)
        assert all(re.fullmatch(r"/[A-Z]{6}\+.*", font) for font, _ in fonts), (name, fonts)
        assert any("WenQuanYi" in font for font, _ in fonts), (name, fonts)


def test_every_docx_names_the_east_asian_font_on_every_chinese_run(renderers: Renderers) -> None:
    for name, docx in every_docx(renderers):
        chinese_runs, missing = docx_runs_without_east_asian_font(docx)
        assert chinese_runs > 10, name
        assert missing == [], name


# --- no outbound requests -------------------------------------------------------------------


@dataclass
class RequestCounter:
    port: int = 0
    paths: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def http_probe() -> Iterator[RequestCounter]:
    """A real HTTP server on a random local port that records every request it gets."""
    probe = RequestCounter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            probe.paths.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    probe.port = server.server_address[1]
    try:
        yield probe
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def hostile(probe: RequestCounter, label: str) -> str:
    return (
        f'<img src="{probe.url(f"/{label}.png")}">'
        f'<link rel=stylesheet href="{probe.url(f"/{label}.css")}">'
        '<img src="file:///etc/passwd">'
        f"<style>@import url({probe.url(f'/{label}-import.css')});</style>"
        f'<div style="background: url({probe.url(f"/{label}-bg.png")})">x</div>'
    )


def hostile_documents(renderers: Renderers, probe: RequestCounter) -> Iterator[tuple[str, bytes]]:
    evil = hostile(probe, "x")
    yield (
        "registration",
        renderers.registration_form(
            group_registered(enterprise_name=evil, group_name=evil, leader=evil)
        )["pdf"],
    )
    yield (
        "certificate",
        renderers.certificate(
            application_awarded(enterprise_name=evil, group_name=evil, topic_name=evil)
        )["pdf"],
    )
    yield (
        "notice",
        renderers.forwarded_notice(campaign_forwarded(title=evil, body=evil, unit_name=evil))[
            "pdf"
        ],
    )
    for kind in TABLE_KINDS:
        rows = ({"enterprise_name": evil, "group_name": evil, "topic_name": evil},)
        table = filled(table_requested(kind, rows=rows, header={"unit_name": evil}))
        yield kind, renderers.table(table, ("pdf",))["pdf"]


def test_applicant_markup_in_every_document_is_text_and_nothing_is_fetched(
    renderers: Renderers, http_probe: RequestCounter
) -> None:
    for name, pdf in hostile_documents(renderers, http_probe):
        text = pdf_text(pdf)
        assert "<imgsrc=" in text, name
        assert "file:///etc/passwd" in text, name
    assert http_probe.paths == []
    with urllib.request.urlopen(http_probe.url("/control"), timeout=5) as response:
        assert response.status == 200
    assert http_probe.paths == ["/control"]
