"""The tables (推荐表, 汇总表, 统计表) as Excel workbooks, columns sized by their template."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import TYPE_CHECKING, Final

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from services.render.renderers import normalize_text
from services.render.renderers.package import reproducible_zip

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

    from services.render.domain.tables import FilledTable

FONT_NAME: Final = "宋体"
_THIN: Final = Side(style="thin", color="000000")
_BORDER: Final = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_BODY: Final = Font(name=FONT_NAME, size=10.5)
_TITLE: Final = Font(name=FONT_NAME, size=16, bold=True)
_WRAP: Final = Alignment(wrap_text=True, vertical="center")
_CENTER: Final = Alignment(wrap_text=True, vertical="center", horizontal="center")
_RIGHT: Final = Alignment(wrap_text=True, vertical="center", horizontal="right")
# Same input, same bytes: no save time in the workbook's properties.
_FIXED_STAMP: Final = datetime(2023, 1, 1)  # noqa: DTZ001 - openpyxl writes naive UTC stamps
# Excel refuses a cell longer than this.
_MAX_CELL: Final = 32767


def render_table_xlsx(table: FilledTable) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook always has its first sheet
    sheet.title = "表"
    columns = len(table.column_headers)
    row = _title(sheet, table.title, columns)
    if table.header_lines:
        text = "　　".join(f"{label}：{value}" for label, value in table.header_lines)
        row = _line(sheet, row, text, columns)
    header_row = row
    _cells(sheet, row, table.column_headers, (False,) * columns, heading=True)
    for values in table.rows:
        row += 1
        _cells(sheet, row, values, table.numeric_columns, heading=False)
    for label, value in table.footer_lines:
        row = _line(sheet, row + 1, f"{label}：{value}", columns) - 1
    for line in table.closing_lines:
        row = _line(sheet, row + 1, line, columns) - 1
    for index, width in enumerate(table.column_widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = table.orientation
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    workbook.properties.creator = "qcflow"
    workbook.properties.created = workbook.properties.modified = _FIXED_STAMP
    buffer = BytesIO()
    workbook.save(buffer)
    return reproducible_zip(buffer.getvalue())


def _title(sheet: Worksheet, title: str, columns: int) -> int:
    cell = _put(sheet, 1, 1, title)
    cell.font, cell.alignment = _TITLE, _CENTER
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=columns)
    return 2


def _line(sheet: Worksheet, row: int, text: str, columns: int) -> int:
    cell = _put(sheet, row, 1, text)
    cell.font, cell.alignment = _BODY, _WRAP
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    return row + 1


def _cells(
    sheet: Worksheet,
    row: int,
    values: tuple[str, ...],
    numeric: tuple[bool, ...],
    *,
    heading: bool,
) -> None:
    for column, (value, is_numeric) in enumerate(zip(values, numeric, strict=True), start=1):
        cell = _put(sheet, row, column, value)
        cell.font, cell.border = _BODY, _BORDER
        cell.alignment = _CENTER if heading else _RIGHT if is_numeric else _WRAP


def _put(sheet: Worksheet, row: int, column: int, text: str) -> Cell:
    cell = sheet.cell(row=row, column=column, value=normalize_text(text)[:_MAX_CELL])
    # openpyxl stores a value starting with "=" as a formula: applicant text stays text.
    cell.data_type = "s"
    return cell
