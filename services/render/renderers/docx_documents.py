"""注册登记表 and the tables (推荐表, 汇总表, 统计表) as Word documents.

Every run names its East Asian font (w:eastAsia) so Word and LibreOffice never fall back to a
Latin font for Chinese; the page setup is built once and each document starts from its bytes.
"""

from __future__ import annotations

import functools
from copy import deepcopy
from io import BytesIO
from typing import TYPE_CHECKING, Final

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from services.render.renderers import normalize_text
from services.render.renderers.package import FIXED_MODIFIED_AT, reproducible_zip

if TYPE_CHECKING:
    from collections.abc import Sequence

    from docx.document import Document as DocxDocument
    from docx.oxml.xmlchemy import BaseOxmlElement
    from docx.table import _Cell
    from docx.text.paragraph import Paragraph

    from services.render.domain.tables import FilledTable
    from shared.events.intake import GroupRegistered

FONT_NAME: Final = "宋体"
_BODY_PT: Final = 10.5
_TITLE_PT: Final = 18
_PORTRAIT_TEXT_CM: Final = 17.0
_LANDSCAPE_TEXT_CM: Final = 26.7
_XML_SPACE: Final = "{http://www.w3.org/XML/1998/namespace}space"


@functools.cache
def _base_document(*, landscape: bool) -> bytes:
    document = Document()
    document.core_properties.modified = FIXED_MODIFIED_AT
    normal = document.styles["Normal"]
    normal.font.name = FONT_NAME
    normal.font.size = Pt(_BODY_PT)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT_NAME)
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = section.page_height, section.page_width
    margin = Cm(1.5) if landscape else Cm(2.0)
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = margin
    buffer = BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _new_document(*, landscape: bool = False) -> DocxDocument:
    return Document(BytesIO(_base_document(landscape=landscape)))


def _to_bytes(document: DocxDocument) -> bytes:
    buffer = BytesIO()
    document.save(buffer)
    return reproducible_zip(buffer.getvalue())


@functools.cache
def _run_properties(size: float) -> BaseOxmlElement:
    """Font names (East Asian included) and size, built once per size and copied into runs."""
    properties = OxmlElement("w:rPr")
    fonts = OxmlElement("w:rFonts")
    for attribute in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attribute), FONT_NAME)
    properties.append(fonts)
    for tag in ("w:sz", "w:szCs"):
        size_element = OxmlElement(tag)
        size_element.set(qn("w:val"), str(round(size * 2)))
        properties.append(size_element)
    return properties


def _write(paragraph: Paragraph, text: str, *, size: float = _BODY_PT) -> None:
    # Built as XML: python-docx's font setters walk the run's children on every call and
    # made a 20-row table cost 0.1 s.
    run = paragraph.add_run().element
    run.append(deepcopy(_run_properties(size)))
    for index, line in enumerate(normalize_text(text).split("\n")):
        if index:
            run.append(OxmlElement("w:br"))
        text_element = OxmlElement("w:t")
        text_element.set(_XML_SPACE, "preserve")
        text_element.text = line
        run.append(text_element)


def _paragraph(
    document: DocxDocument,
    text: str,
    *,
    size: float = _BODY_PT,
    align: WD_ALIGN_PARAGRAPH | None = None,
) -> None:
    paragraph = document.add_paragraph()
    if align is not None:
        paragraph.alignment = align
    _write(paragraph, text, size=size)


def _fill(cell: _Cell, text: str, *, align: WD_ALIGN_PARAGRAPH | None = None) -> None:
    paragraph = cell.paragraphs[0]
    if align is not None:
        paragraph.alignment = align
    _write(paragraph, text)


def _grid(
    document: DocxDocument,
    rows: Sequence[Sequence[str]],
    widths_cm: Sequence[float],
    *,
    heading_rows: int = 0,
    right_aligned: Sequence[bool] = (),
) -> None:
    table = document.add_table(rows=len(rows), cols=len(widths_cm))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for index, (row, values) in enumerate(zip(table.rows, rows, strict=True)):
        for column, (cell, value) in enumerate(zip(row.cells, values, strict=True)):
            cell.width = Cm(widths_cm[column])
            is_right = column < len(right_aligned) and right_aligned[column]
            align = (
                WD_ALIGN_PARAGRAPH.CENTER
                if index < heading_rows
                else WD_ALIGN_PARAGRAPH.RIGHT
                if is_right
                else None
            )
            _fill(cell, value, align=align)


def render_registration_form_docx(group: GroupRegistered, topic_type_label: str) -> bytes:
    document = _new_document()
    _paragraph(document, "质量管理小组注册登记表", size=_TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(document, f"登记年度：{group.year}　　小组注册号：{group.registration_number}")
    widths = (2.8, 5.7, 2.8, 5.7)
    _grid(
        document,
        [
            ("单位名称", group.enterprise_name, "主管部门", ""),
            ("小组名称", group.group_name, "成员人数", str(len(group.members))),
            ("注册日期", group.registered_on, "成立日期", group.founded_on),
            ("组长", group.leader, "顾问/指导者", group.adviser),
            ("活动频次", group.activity_frequency, "", ""),
        ],
        widths,
    )
    _paragraph(document, "小组成员")
    _grid(
        document,
        [
            ("序号", "姓名", "性别", "组内分工", "职务/职称", "部门"),
            *(
                (str(number), m.name, m.gender, m.role.value, m.title, m.department)
                for number, m in enumerate(group.members, start=1)
            ),
        ],
        (1.3, 3.0, 1.5, 2.4, 3.4, 5.4),
        heading_rows=1,
    )
    _paragraph(document, "课题注册")
    topic = group.topic
    _grid(
        document,
        [
            (
                "课题名称",
                topic.topic_name if topic else "（未登记课题）",
                "课题注册号",
                topic.registration_number if topic else "",
            ),
            ("课题类型", topic_type_label, "课题注册日期", topic.registered_on if topic else ""),
            (
                "计划起止日期",
                f"{topic.planned_start} 至 {topic.planned_end}" if topic else "",
                "",
                "",
            ),
        ],
        widths,
    )
    _paragraph(document, "单位审核意见：")
    _paragraph(document, "单位盖章", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _paragraph(document, "年　　月　　日", align=WD_ALIGN_PARAGRAPH.RIGHT)
    return _to_bytes(document)


def render_table_docx(table: FilledTable) -> bytes:
    is_landscape = table.orientation == "landscape"
    document = _new_document(landscape=is_landscape)
    _paragraph(document, table.title, size=_TITLE_PT, align=WD_ALIGN_PARAGRAPH.CENTER)
    if table.header_lines:
        _paragraph(
            document, "　　".join(f"{label}：{value}" for label, value in table.header_lines)
        )
    text_width = _LANDSCAPE_TEXT_CM if is_landscape else _PORTRAIT_TEXT_CM
    total = sum(table.column_widths)
    _grid(
        document,
        [table.column_headers, *table.rows],
        [text_width * width / total for width in table.column_widths],
        heading_rows=1,
        right_aligned=table.numeric_columns,
    )
    for label, value in table.footer_lines:
        _paragraph(document, f"{label}：{value}")
    for line in table.closing_lines:
        _paragraph(document, line, align=WD_ALIGN_PARAGRAPH.RIGHT)
    return _to_bytes(document)
