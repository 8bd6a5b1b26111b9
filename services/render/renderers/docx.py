"""附件3 全国优秀质量管理小组申报表 as a Word document, one bordered table like the paper form.

The XML is assembled directly rather than through python-docx's cell merging, which rewrites
the table on every merge; the page setup and default fonts live in a base document that is
built once and re-opened from bytes for each render.
"""

from __future__ import annotations

import functools
from copy import deepcopy
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Final

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm

from services.render.renderers import normalize_text, topic_type_choices
from services.render.renderers.package import FIXED_MODIFIED_AT

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from docx.oxml.xmlchemy import BaseOxmlElement

    from shared.events.intake import ApplicationForm, GroupMember

FONT_NAME: Final = "宋体"
TITLE: Final = "全国优秀质量管理小组申报表"
NOTES: Final = (
    "注：申报材料统一交与推荐单位，具体要求如下：",
    (
        "1. 小组申报表提交PDF电子版格式一份（加盖公章）和word文本电子版一份（不需盖章）；"
        "小组成果报告word文本电子版一份；小组活动记录等证实性材料（电子版）。"
    ),
    (
        "2. 企业名称（小组所在单位）、小组名称是制作证书的依据，须用正楷填写全称，不要挂上级部门"
        "（企业名称以公章为准），填写内容简明扼要，准确无误。"
    ),
    "3. 请于2023年8月31日前将材料提交至中国质协国优申报系统中。",
)
MEMBER_HEADINGS: Final = ("姓名", "角色", "性别", "职称", "部门")

# Lengths in twentieths of a point (dxa) and font sizes in half-points, as WordprocessingML wants.
# Label, value, short label, value, short label, value: 16.6 cm, the A4 text width.
_FORM_COLUMNS: Final = (1588, 1814, 1304, 1814, 1020, 1872)
_MEMBER_COLUMNS: Final = (1400, 1000, 800, 1600, 3024)  # exactly the 5 value columns

_XML_SPACE: Final = "{http://www.w3.org/XML/1998/namespace}space"


@dataclass(frozen=True, slots=True)
class _Format:
    size: int = 21  # 五号, 10.5 pt
    bold: bool = False
    underline: bool = False
    align: str | None = None
    right_indent: int = 0
    space_before: int = 0
    space_after: int = 0


_BODY = _Format()
_LABEL = _Format(align="center")
_ATTACHMENT_LABEL = _Format(size=24)
_TITLE = _Format(size=36, bold=True, align="center", space_before=120, space_after=240)
_RECOMMENDER = _Format(size=24, space_after=120)
_RECOMMENDER_FILL_IN = _Format(size=24, underline=True)
_SUMMARY_LABEL = _Format(space_after=60)
_SEAL = _Format(align="right", right_indent=567, space_before=600)
_SEAL_DATE = _Format(align="right", right_indent=567, space_before=120, space_after=120)
_NOTE = _Format(size=18)  # 小五, 9 pt
_SPACER = _Format(size=2)  # Word needs a paragraph after a nested table; keep it invisible.


@dataclass(frozen=True, slots=True)
class _Cell:
    blocks: tuple[BaseOxmlElement, ...]
    span: int = 1
    flush: bool = False  # no inner margins, for a nested table filling the cell


def render_application_form_docx(form: ApplicationForm) -> bytes:
    document = Document(BytesIO(_base_document()))
    body_end = document.element.body.find(qn("w:sectPr"))
    for block in _form_blocks(form):
        body_end.addprevious(block)
    output = BytesIO()
    document.save(output)
    return output.getvalue()


def _form_blocks(form: ApplicationForm) -> Iterable[BaseOxmlElement]:
    yield _paragraph("附件3", _ATTACHMENT_LABEL)
    yield _paragraph(TITLE, _TITLE)
    yield _paragraph_of(
        _RECOMMENDER,
        _run("推荐省区市、行业", _RECOMMENDER),
        _run(f" {form.recommending_unit_name} ", _RECOMMENDER_FILL_IN),
    )
    yield _form_table(form)
    for note in NOTES:
        yield _paragraph(note, _NOTE)


def _form_table(form: ApplicationForm) -> BaseOxmlElement:
    topic_type = "　　".join(f"{choice.box} {choice.label}" for choice in topic_type_choices(form))
    rows = (
        _label_row("企业名称（公章为准）", form.enterprise_name),
        _label_row("QC小组名称", form.group_name),
        _label_row("课题名称", form.topic_name),
        _label_row("课题类型", topic_type),
        (
            _label("详细通信地址"),
            _value(form.address, span=3),
            _label("邮编"),
            _value(form.postal_code),
        ),
        (
            _label("小组联系部门"),
            _value(form.contact_department),
            _label("直接联系人"),
            _value(form.contact_person),
            _label("手机"),
            _value(form.mobile),
        ),
        (_label("小组成员名单"), _members_cell(form.members)),
        (_summary_cell(form.summary),),
    )
    return _table(_FORM_COLUMNS, rows)


def _label_row(label: str, value: str) -> tuple[_Cell, ...]:
    return (_label(label), _value(value, span=5))


def _label(text: str) -> _Cell:
    return _Cell(_paragraphs(text, _LABEL))


def _value(text: str, *, span: int = 1) -> _Cell:
    return _Cell(_paragraphs(text, _BODY), span=span)


def _members_cell(members: Sequence[GroupMember]) -> _Cell:
    heading = tuple(_label(text) for text in MEMBER_HEADINGS)
    rows = (
        (
            _label(member.name),
            _label(member.role.value),
            _label(member.gender),
            _label(member.title),
            _value(member.department),
        )
        for member in members
    )
    table = _table(_MEMBER_COLUMNS, (heading, *rows), outer_border=False)
    return _Cell((table, _paragraph("", _SPACER)), span=5, flush=True)


def _summary_cell(summary: str) -> _Cell:
    blocks = (
        _paragraph("QC小组简介和主要活动过程及效果：", _SUMMARY_LABEL),
        *_paragraphs(summary, _BODY),
        _paragraph("单位盖章", _SEAL),
        _paragraph("年　　月　　日", _SEAL_DATE),
    )
    return _Cell(blocks, span=len(_FORM_COLUMNS))


def _table(
    column_widths: Sequence[int], rows: Iterable[Sequence[_Cell]], *, outer_border: bool = True
) -> BaseOxmlElement:
    table = OxmlElement("w:tbl")
    properties = _child(table, "w:tblPr")
    _child(properties, "w:tblStyle", val="TableGrid")
    _child(properties, "w:tblW", w=str(sum(column_widths)), type="dxa")
    _child(properties, "w:jc", val="center")
    if not outer_border:
        # The enclosing cell already draws these edges.
        borders = _child(properties, "w:tblBorders")
        for edge in ("top", "left", "bottom", "right"):
            _child(borders, f"w:{edge}", val="nil")
    _child(properties, "w:tblLayout", type="fixed")
    grid = _child(table, "w:tblGrid")
    for width in column_widths:
        _child(grid, "w:gridCol", w=str(width))
    for cells in rows:
        table.append(_table_row(column_widths, cells))
    return table


def _table_row(column_widths: Sequence[int], cells: Sequence[_Cell]) -> BaseOxmlElement:
    row = OxmlElement("w:tr")
    first_column = 0
    for cell in cells:
        width = sum(column_widths[first_column : first_column + cell.span])
        row.append(_table_cell(cell, width))
        first_column += cell.span
    return row


def _table_cell(cell: _Cell, width: int) -> BaseOxmlElement:
    element = deepcopy(_table_cell_prototype(width, cell.span, flush=cell.flush))
    element.extend(cell.blocks)
    return element


def _paragraphs(text: str, paragraph_format: _Format) -> tuple[BaseOxmlElement, ...]:
    lines = normalize_text(text).split("\n")
    return tuple(_paragraph(line, paragraph_format) for line in lines)


def _paragraph(text: str, paragraph_format: _Format) -> BaseOxmlElement:
    return _paragraph_of(paragraph_format, _run(text, paragraph_format))


def _paragraph_of(paragraph_format: _Format, *runs: BaseOxmlElement) -> BaseOxmlElement:
    paragraph = deepcopy(_paragraph_prototype(paragraph_format))
    paragraph.extend(runs)
    return paragraph


def _run(text: str, run_format: _Format) -> BaseOxmlElement:
    run = deepcopy(_run_prototype(run_format))
    run[-1].text = normalize_text(text)
    return run


# Prototypes: a form has ~1500 elements but only a dozen distinct property sets, and copying
# a finished subtree is several times cheaper than building it. They are only ever copied.


@functools.cache
def _table_cell_prototype(width: int, span: int, *, flush: bool) -> BaseOxmlElement:
    cell = OxmlElement("w:tc")
    properties = _child(cell, "w:tcPr")
    _child(properties, "w:tcW", w=str(width), type="dxa")
    if span > 1:
        _child(properties, "w:gridSpan", val=str(span))
    if flush:
        margins = _child(properties, "w:tcMar")
        for side in ("left", "right"):
            _child(margins, f"w:{side}", w="0", type="dxa")
    _child(properties, "w:vAlign", val="center")
    return cell


@functools.cache
def _paragraph_prototype(paragraph_format: _Format) -> BaseOxmlElement:
    paragraph = OxmlElement("w:p")
    properties = _child(paragraph, "w:pPr")
    _child(
        properties,
        "w:spacing",
        before=str(paragraph_format.space_before),
        after=str(paragraph_format.space_after),
    )
    if paragraph_format.right_indent:
        _child(properties, "w:ind", right=str(paragraph_format.right_indent))
    if paragraph_format.align:
        _child(properties, "w:jc", val=paragraph_format.align)
    return paragraph


@functools.cache
def _run_prototype(run_format: _Format) -> BaseOxmlElement:
    """Build a run ending in an empty ``w:t``, its fonts set for every script."""
    run = OxmlElement("w:r")
    properties = _child(run, "w:rPr")
    _child(
        properties,
        "w:rFonts",
        ascii=FONT_NAME,
        hAnsi=FONT_NAME,
        eastAsia=FONT_NAME,
        hint="eastAsia",
    )
    if run_format.bold:
        _child(properties, "w:b")
    _child(properties, "w:sz", val=str(run_format.size))
    _child(properties, "w:szCs", val=str(run_format.size))
    if run_format.underline:
        _child(properties, "w:u", val="single")
    text = _child(run, "w:t")
    text.set(_XML_SPACE, "preserve")
    return run


def _child(parent: BaseOxmlElement, tag: str, **attributes: str) -> BaseOxmlElement:
    element = OxmlElement(tag, attrs={qn(f"w:{name}"): value for name, value in attributes.items()})
    parent.append(element)
    return element


@functools.cache
def _base_document() -> bytes:
    """A4 page, 宋体 as every script's default font, empty body; built once per process."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.54)
    section.left_margin = section.right_margin = Cm(2.2)
    document.core_properties.title = TITLE
    document.core_properties.author = ""
    document.core_properties.modified = FIXED_MODIFIED_AT
    _set_default_fonts(document.styles.element)
    output = BytesIO()
    document.save(output)
    return output.getvalue()


def _set_default_fonts(styles: BaseOxmlElement) -> None:
    run_defaults = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    fonts = run_defaults.find(qn("w:rFonts"))
    fonts.attrib.clear()
    for script in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{script}"), FONT_NAME)
    run_defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN")
    for size_tag in ("w:sz", "w:szCs"):
        run_defaults.find(qn(size_tag)).set(qn("w:val"), str(_BODY.size))
    paragraph_spacing = styles.find(
        f"{qn('w:docDefaults')}/{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}"
    )
    paragraph_spacing.set(qn("w:after"), "0")
    paragraph_spacing.set(qn("w:line"), "300")
