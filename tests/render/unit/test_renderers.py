"""The 附件3 申报表 renderers: content, fonts, tick boxes, no outbound fetches, Word fonts."""

from __future__ import annotations

import io
import re
import threading
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader
from weasyprint import HTML

from services.render.renderers import TEMPLATE_VERSION
from services.render.renderers.docx import render_application_form_docx
from services.render.renderers.pdf import (
    DisallowedURLError,
    PdfRenderer,
    asset_url,
)
from shared.events.intake import (
    ApplicationForm,
    GroupMember,
    MemberRole,
    TargetKind,
    TopicType,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.unit

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
PAGE_FOOTER = re.compile(r"第\d+页共\d+页")


def build_form(**overrides: object) -> ApplicationForm:
    fields: dict[str, object] = {
        "recommending_unit_name": "江苏省质量协会",
        "enterprise_name": "南京长江精密机械有限公司",
        "group_name": "精益求精QC小组",
        "topic_name": "降低齿轮箱装配不良率",
        "topic_type": TopicType.PROBLEM_SOLVING,
        "target_kind": TargetKind.SELF_SET,
        "address": "江苏省南京市江宁区将军大道188号",
        "postal_code": "211100",
        "contact_department": "质量管理部",
        "contact_person": "王晓燕",
        "mobile": "13912345678",
        "members": tuple(
            GroupMember(
                name=f"成员{index}号",
                role=MemberRole.LEADER if index == 0 else MemberRole.MEMBER,
                gender="女" if index % 2 else "男",
                title=f"工程师{index}级",
                department=f"装配{index}车间",
            )
            for index in range(8)
        ),
        "summary": "小组成立于2021年，围绕装配不良开展活动。\n不良率由3.2%降至0.8%。",
    }
    return ApplicationForm.model_validate(fields | overrides)


def long_summary(characters: int = 6000) -> str:
    """Numbered, distinct sentences, so a lost or repeated piece shows up in a comparison."""
    sentences: list[str] = []
    index = 0
    while sum(map(len, sentences)) < characters:
        sentences.append(f"第{index:04d}步小组成员测量焊缝宽度并记录数据。")
        if index % 7 == 6:
            sentences.append("\n")
        index += 1
    return "".join(sentences)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    """Text of all pages, whitespace and page footers removed."""
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(PAGE_FOOTER.sub("", squash(page.extract_text())) for page in reader.pages)


@pytest.fixture(scope="module")
def renderer() -> PdfRenderer:
    return PdfRenderer()


# --- PDF content ---------------------------------------------------------------------------


def test_pdf_contains_every_field_and_the_whole_long_summary(renderer: PdfRenderer) -> None:
    form = build_form(summary=long_summary())

    pdf = renderer.render_application_form(form)

    text = pdf_text(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) > 1
    expected = [
        "全国优秀质量管理小组申报表",
        "推荐省区市、行业江苏省质量协会",
        form.enterprise_name,
        form.group_name,
        form.topic_name,
        form.address,
        form.postal_code,
        form.contact_department,
        form.contact_person,
        form.mobile,
        *(member.name for member in form.members),
        *(member.department for member in form.members),
        "单位盖章",
        "注：申报材料统一交与推荐单位",
    ]
    missing = [value for value in expected if squash(value) not in text]
    assert missing == []
    assert squash(form.summary) in text


@pytest.mark.parametrize(
    ("topic_type", "target_kind", "ticked", "unticked"),
    [
        (TopicType.INNOVATION, None, "☑创新型", "☐问题解决型"),
        (TopicType.PROBLEM_SOLVING, TargetKind.DIRECTIVE, "☑问题解决型（指令性目标）", "☐创新型"),
    ],
)
def test_pdf_ticks_only_the_chosen_topic_type(
    renderer: PdfRenderer,
    topic_type: TopicType,
    target_kind: TargetKind | None,
    ticked: str,
    unticked: str,
) -> None:
    form = build_form(topic_type=topic_type, target_kind=target_kind)

    text = pdf_text(renderer.render_application_form(form))

    assert ticked in text
    assert unticked in text
    assert text.count("☑") == 1


def test_pdf_embeds_a_subset_of_the_cjk_font(renderer: PdfRenderer) -> None:
    pdf = renderer.render_application_form(build_form())

    reader = PdfReader(io.BytesIO(pdf))
    embedded = [
        name
        for page in reader.pages
        for name, descriptor in page_font_descriptors(page["/Resources"])
        if "/FontFile2" in descriptor or "/FontFile3" in descriptor
    ]
    assert any(re.fullmatch(r"/[A-Z]{6}\+WenQuanYi.*", name) for name in embedded), embedded


def page_font_descriptors(resources: Any) -> Iterator[tuple[str, Any]]:
    """(BaseFont, FontDescriptor) of every font on a page, form XObjects included."""
    for font in resources.get("/Font", {}).values():
        font_dict = font.get_object()
        for descendant in font_dict.get("/DescendantFonts", [font_dict]):
            descendant_dict = descendant.get_object()
            descriptor = descendant_dict.get("/FontDescriptor")
            if descriptor is not None:
                yield str(font_dict["/BaseFont"]), descriptor.get_object()
    for xobject in resources.get("/XObject", {}).values():
        nested = xobject.get_object().get("/Resources")
        if nested is not None:
            yield from page_font_descriptors(nested.get_object())


def test_pdf_wraps_long_unbroken_text_without_losing_it(renderer: PdfRenderer) -> None:
    token = "".join(f"ABC{index:05d}" for index in range(400))
    form = build_form(address=token[:300], contact_person="很长的名字" * 10, summary=token)

    text = pdf_text(renderer.render_application_form(form))

    assert token[:300] in text
    assert form.contact_person in text
    assert token in text


def test_pdf_drops_control_characters_instead_of_failing(renderer: PdfRenderer) -> None:
    form = build_form(group_name="攀登\x00QC\x0b小组", summary="第一行\u2028第二行\ud800完")

    text = pdf_text(renderer.render_application_form(form))

    assert "攀登QC小组" in text
    assert "第一行第二行完" in text


# --- no outbound requests -------------------------------------------------------------------


@dataclass
class RequestCounter:
    port: int = 0
    paths: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@pytest.fixture
def http_probe() -> Iterator[RequestCounter]:
    """Run a real HTTP server on a random local port that records every request it gets."""
    probe = RequestCounter()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            probe.paths.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

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


def hostile_markup(probe: RequestCounter) -> dict[str, str]:
    return {
        "enterprise_name": f'<img src="{probe.url("/x.png")}">南京长江',
        "group_name": f'<link rel=stylesheet href="{probe.url("/s.css")}">',
        "topic_name": '<img src="file:///etc/passwd">',
        "address": f"<style>@import url({probe.url('/import.css')});</style>",
        "summary": (
            f'<iframe src="{probe.url("/frame")}"></iframe>'
            f'<object data="{probe.url("/object")}"></object>'
            f'<div style="background: url({probe.url("/bg.png")})">x</div>'
            "<svg><image href='file:///etc/passwd'/></svg>"
        ),
    }


def assert_probe_alive(probe: RequestCounter) -> None:
    """Prove the server was listening all along, so zero hits means nothing was fetched."""
    with urllib.request.urlopen(probe.url("/control"), timeout=5) as response:
        assert response.status == 200
    assert probe.paths == ["/control"]


def test_applicant_markup_is_shown_as_text_and_nothing_is_fetched(
    renderer: PdfRenderer, http_probe: RequestCounter
) -> None:
    form = build_form(**hostile_markup(http_probe))

    text = pdf_text(renderer.render_application_form(form))

    assert http_probe.paths == []
    assert "<img" in text
    assert "<linkrel=stylesheet" in text
    assert "file:///etc/passwd" in text
    assert_probe_alive(http_probe)


def test_url_fetcher_alone_stops_markup_that_escaped_the_template(
    renderer: PdfRenderer, http_probe: RequestCounter
) -> None:
    markup = "".join(hostile_markup(http_probe).values())

    HTML(string=markup, url_fetcher=renderer.url_fetcher).write_pdf()

    assert http_probe.paths == []
    assert_probe_alive(http_probe)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1:1/",
        "https://example.com/application_form.css",
        "data:text/css,body{}",
        "qcflow-asset:../../../../etc/passwd",
        "qcflow-asset:application_form.html",
    ],
)
def test_url_fetcher_refuses_anything_but_bundled_assets(renderer: PdfRenderer, url: str) -> None:
    with pytest.raises(DisallowedURLError):
        renderer.url_fetcher.fetch(url)
    with pytest.raises(DisallowedURLError):
        renderer.url_fetcher(url)


def test_url_fetcher_serves_the_bundled_stylesheet(renderer: PdfRenderer) -> None:
    response = renderer.url_fetcher.fetch(asset_url("application_form.css"))

    assert response.content_type == "text/css"
    assert b"WenQuanYi Zen Hei" in response.read()


# --- Word -----------------------------------------------------------------------------------


def docx_cell_texts(docx: bytes) -> list[str]:
    """Text of every table cell, nested tables included."""
    texts: list[str] = []
    pending = list(Document(io.BytesIO(docx)).tables)
    while pending:
        table = pending.pop()
        for row in table.rows:
            for cell in row.cells:
                texts.append(cell.text)
                pending.extend(cell.tables)
    return texts


def docx_text(docx: bytes) -> list[str]:
    """Every paragraph of the body, tables included, in document order."""
    body = Document(io.BytesIO(docx)).element.body
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in body.iter(qn("w:p"))]


def test_docx_table_holds_every_field() -> None:
    form = build_form(summary=long_summary(1500))

    docx = render_application_form_docx(form)

    cells = "\n".join(docx_cell_texts(docx))
    expected = [
        form.enterprise_name,
        form.group_name,
        form.topic_name,
        "☑ 问题解决型（自定目标）",
        "☐ 创新型",
        form.address,
        form.postal_code,
        form.contact_department,
        form.contact_person,
        form.mobile,
        *(
            value
            for member in form.members
            for value in (member.name, member.role.value, member.gender, member.title)
        ),
        *(member.department for member in form.members),
        *form.summary.split("\n"),
        "单位盖章",
    ]
    missing = [value for value in expected if value not in cells]
    assert missing == []
    paragraphs = docx_text(docx)
    assert "全国优秀质量管理小组申报表" in paragraphs
    assert f"推荐省区市、行业 {form.recommending_unit_name} " in paragraphs


def test_docx_page_is_a4_and_the_table_is_bordered() -> None:
    document = Document(io.BytesIO(render_application_form_docx(build_form())))

    section = document.sections[0]
    assert section.page_width is not None
    assert section.page_height is not None
    assert (section.page_width.cm, section.page_height.cm) == pytest.approx((21, 29.7), abs=0.01)
    assert document.tables[0].style is not None
    assert document.tables[0].style.name == "Table Grid"


def test_docx_every_chinese_run_names_an_east_asian_font() -> None:
    docx = render_application_form_docx(build_form(summary=long_summary(1500)))

    document = Document(io.BytesIO(docx))
    chinese_runs = [
        run
        for run in document.element.body.iter(qn("w:r"))
        if CJK.search("".join(t.text or "" for t in run.iter(qn("w:t"))))
    ]
    assert len(chinese_runs) > 30
    without_font = [
        run
        for run in chinese_runs
        if run.rPr is None
        or run.rPr.rFonts is None
        or not run.rPr.rFonts.get(qn("w:eastAsia"))
        or not run.rPr.rFonts.get(qn("w:ascii"))
        or not run.rPr.rFonts.get(qn("w:hAnsi"))
    ]
    assert without_font == []
    defaults = document.styles.element.find(
        f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:rFonts')}"
    )
    assert defaults.get(qn("w:eastAsia")) == "宋体"


def test_docx_keeps_text_with_control_characters() -> None:
    form = build_form(group_name="攀登\x00QC\x0b小组", summary="第一行\u2028第二行\ud800完")

    cells = docx_cell_texts(render_application_form_docx(form))

    assert "攀登QC\n小组" in cells
    assert any("第一行\n第二行完" in cell for cell in cells)


# --- determinism ------------------------------------------------------------------------------


def test_rendering_twice_gives_the_same_content(renderer: PdfRenderer) -> None:
    form = build_form(summary=long_summary(1500))

    assert docx_text(render_application_form_docx(form)) == docx_text(
        render_application_form_docx(form)
    )
    assert pdf_text(renderer.render_application_form(form)) == pdf_text(
        renderer.render_application_form(form)
    )


def test_template_version_is_exported() -> None:
    assert TEMPLATE_VERSION == "application_form/2023.1"
