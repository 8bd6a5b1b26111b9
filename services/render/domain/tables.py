"""Tables as data: a versioned template filled in with the rows of a `table.requested` event.

A template is columns, title, header and footer blocks. The reconstructed tables (推荐表,
成果评审汇总表, 活动统计表) are not official forms, so an administrator can upload a new
version without a code change; this module validates such a template
and turns a request into the plain strings every format prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final, Literal, get_args

from services.render.domain.errors import CellValueError, TemplateInvalidError

TableKind = Literal["recommendation", "review_summary", "activity_statistics"]
CellFormat = Literal["text", "row_number", "integer", "decimal2", "percent"]
Orientation = Literal["portrait", "landscape"]

TABLE_KINDS: Final[tuple[str, ...]] = get_args(TableKind)
CELL_FORMATS: Final[tuple[str, ...]] = get_args(CellFormat)
KIND_LABELS: Final[dict[str, str]] = {
    "recommendation": "全国优秀质量管理小组推荐表",
    "review_summary": "质量管理小组成果评审汇总表",
    "activity_statistics": "质量管理小组活动统计表",
}
MAX_COLUMNS: Final = 30
MAX_TEXT: Final = 200
_CENT: Final = Decimal("0.01")
_NUMERIC_FORMATS: Final = frozenset({"integer", "decimal2", "percent"})


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    header: str
    width: int  # in characters, as a spreadsheet counts them; other formats use it as a ratio
    format: CellFormat = "text"
    # A computed rate: numerator key / denominator key x 100 %, never typed in (forms.md §1.5).
    ratio: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class LabelledField:
    key: str
    label: str


@dataclass(frozen=True, slots=True)
class TableTemplate:
    kind: TableKind
    title: str  # may hold {year} and {unit_name}
    columns: tuple[Column, ...]
    header_fields: tuple[LabelledField, ...] = ()
    footer_fields: tuple[LabelledField, ...] = ()
    footer_lines: tuple[str, ...] = ()
    orientation: Orientation = "portrait"
    # When set, a last row sums the number columns and recomputes the rates from the sums.
    total_label: str | None = None


@dataclass(frozen=True, slots=True)
class FilledTable:
    """What every format prints: nothing left to compute or format."""

    title: str
    orientation: Orientation
    header_lines: tuple[tuple[str, str], ...]
    column_headers: tuple[str, ...]
    column_widths: tuple[int, ...]
    numeric_columns: tuple[bool, ...]
    rows: tuple[tuple[str, ...], ...]
    footer_lines: tuple[tuple[str, str], ...]
    closing_lines: tuple[str, ...]


def parse_template(kind: str, data: object) -> TableTemplate:
    """Validate an uploaded template; every problem names the field and what to do."""
    if kind not in TABLE_KINDS:
        raise _invalid(f"表格类型 {kind!r} 不存在，可选：{'、'.join(TABLE_KINDS)}。")
    if not isinstance(data, dict):
        raise _invalid("模板必须是一个 JSON 对象。")
    columns = _columns(data.get("columns"))
    return TableTemplate(
        kind=kind,  # type: ignore[arg-type]  # checked against TABLE_KINDS above
        title=_text(data.get("title"), "title（标题）"),
        columns=columns,
        header_fields=_fields(data.get("header_fields", []), "header_fields（表头栏目）"),
        footer_fields=_fields(data.get("footer_fields", []), "footer_fields（表尾栏目）"),
        footer_lines=tuple(
            _text(line, "footer_lines（表尾落款）", allow_empty=True)
            for line in _list(data.get("footer_lines", []), "footer_lines（表尾落款）")
        ),
        orientation=_orientation(data.get("orientation", "portrait")),
        total_label=(
            None
            if data.get("total_label") is None
            else _text(data.get("total_label"), "total_label（合计行名称）")
        ),
    )


def template_to_data(template: TableTemplate) -> dict[str, Any]:
    return {
        "title": template.title,
        "orientation": template.orientation,
        "header_fields": [{"key": f.key, "label": f.label} for f in template.header_fields],
        "columns": [_column_to_data(column) for column in template.columns],
        "footer_fields": [{"key": f.key, "label": f.label} for f in template.footer_fields],
        "footer_lines": list(template.footer_lines),
    } | ({} if template.total_label is None else {"total_label": template.total_label})


def fill_table(
    template: TableTemplate,
    *,
    unit_name: str,
    year: int,
    header: dict[str, str],
    rows: tuple[dict[str, str], ...],
    footer: dict[str, str],
) -> FilledTable:
    """Raises `CellValueError` when a row's value does not fit its column's format."""
    title = template.title.replace("{year}", str(year)).replace("{unit_name}", unit_name)
    return FilledTable(
        title=title,
        orientation=template.orientation,
        header_lines=tuple((f.label, header.get(f.key, "")) for f in template.header_fields),
        column_headers=tuple(column.header for column in template.columns),
        column_widths=tuple(column.width for column in template.columns),
        numeric_columns=tuple(column.format in _NUMERIC_FORMATS for column in template.columns),
        rows=tuple(
            tuple(_cell(column, row, number) for column in template.columns)
            for number, row in enumerate(rows, start=1)
        )
        + _total_rows(template, rows),
        footer_lines=tuple((f.label, footer.get(f.key, "")) for f in template.footer_fields),
        closing_lines=template.footer_lines,
    )


def _total_rows(
    template: TableTemplate, rows: tuple[dict[str, str], ...]
) -> tuple[tuple[str, ...], ...]:
    if template.total_label is None:
        return ()
    summed_keys = {
        key
        for column in template.columns
        for key in (column.ratio or ((column.key,) if column.format in _NUMERIC_FORMATS else ()))
    }
    columns_by_key = {column.key: column for column in template.columns}
    sums = {
        key: sum(
            (
                _number(columns_by_key.get(key, Column(key, key, 1)), key, row, number)
                for number, row in enumerate(rows, start=1)
            ),
            Decimal(0),
        )
        for key in summed_keys
    }
    label_column = next((c.key for c in template.columns if c.format == "text"), None)
    totals = {key: str(amount) for key, amount in sums.items()} | (
        {label_column: template.total_label} if label_column else {}
    )
    return (
        tuple(
            "" if column.format == "row_number" else _cell(column, totals, len(rows) + 1)
            for column in template.columns
        ),
    )


def rate(numerator: Decimal, denominator: Decimal) -> str:
    """A percentage with two decimals; no denominator gives an empty cell, not a division error."""
    if denominator == 0:
        return ""
    return f"{(numerator * 100 / denominator).quantize(_CENT, rounding=ROUND_HALF_UP)}%"


def _cell(column: Column, row: dict[str, str], number: int) -> str:
    if column.format == "row_number":
        return str(number)
    if column.ratio is not None:
        numerator, denominator = (_number(column, key, row, number) for key in column.ratio)
        return rate(numerator, denominator)
    value = row.get(column.key, "").strip()
    if column.format == "text" or value == "":
        return row.get(column.key, "")
    amount = _number(column, column.key, row, number)
    if column.format == "integer":
        if amount != amount.to_integral_value():
            raise _bad_cell(column, number, value, "整数")
        return str(int(amount))
    shown = str(amount.quantize(_CENT, rounding=ROUND_HALF_UP))
    return f"{shown}%" if column.format == "percent" else shown


def _number(column: Column, key: str, row: dict[str, str], number: int) -> Decimal:
    value = row.get(key, "").strip().replace(",", "")
    try:
        amount = Decimal(value or "0")
    except InvalidOperation:
        raise _bad_cell(column, number, value, "数字") from None
    if not amount.is_finite():
        raise _bad_cell(column, number, value, "数字")
    return amount


def _bad_cell(column: Column, number: int, value: str, expected: str) -> CellValueError:
    return CellValueError(
        f"第{number}行“{column.header}”栏的值 {value[:40]!r} 不是{expected}，请改正后重新生成。"
    )


def _columns(data: object) -> tuple[Column, ...]:
    items = _list(data, "columns（栏目）")
    if not 1 <= len(items) <= MAX_COLUMNS:
        raise _invalid(f"columns（栏目）须有 1 到 {MAX_COLUMNS} 栏。")
    columns = tuple(_column(item, index) for index, item in enumerate(items, start=1))
    keys = [column.key for column in columns]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise _invalid(f"columns（栏目）的 key 重复：{'、'.join(duplicates)}，每栏须唯一。")
    return columns


def _column(item: object, index: int) -> Column:
    where = f"columns 第{index}栏"
    if not isinstance(item, dict):
        raise _invalid(f"{where}须是含 key、header、width 的对象。")
    cell_format = item.get("format", "text")
    if cell_format not in CELL_FORMATS:
        raise _invalid(f"{where}的 format 须是 {'、'.join(CELL_FORMATS)} 之一。")
    width = item.get("width")
    if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= 100:  # noqa: PLR2004 - spreadsheet width bound
        raise _invalid(f"{where}的 width（栏宽，字符数）须是 1 到 100 的整数。")
    return Column(
        key=_key(item.get("key"), f"{where}的 key"),
        header=_text(item.get("header"), f"{where}的 header（栏目名称）"),
        width=width,
        format=cell_format,
        ratio=_ratio(item.get("ratio"), where),
    )


def _ratio(data: object, where: str) -> tuple[str, str] | None:
    if data is None:
        return None
    if not (isinstance(data, list) and len(data) == 2):  # noqa: PLR2004 - numerator, denominator
        raise _invalid(f"{where}的 ratio 须是 [分子栏 key, 分母栏 key]。")
    return (_key(data[0], f"{where}的 ratio 分子"), _key(data[1], f"{where}的 ratio 分母"))


def _column_to_data(column: Column) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": column.key,
        "header": column.header,
        "width": column.width,
        "format": column.format,
    }
    if column.ratio is not None:
        data["ratio"] = list(column.ratio)
    return data


def _fields(data: object, where: str) -> tuple[LabelledField, ...]:
    fields = []
    for index, item in enumerate(_list(data, where), start=1):
        if not isinstance(item, dict):
            raise _invalid(f"{where}第{index}项须是含 key 和 label 的对象。")
        fields.append(
            LabelledField(
                key=_key(item.get("key"), f"{where}第{index}项的 key"),
                label=_text(item.get("label"), f"{where}第{index}项的 label"),
            )
        )
    return tuple(fields)


def _orientation(data: object) -> Orientation:
    if data not in {"portrait", "landscape"}:
        raise _invalid("orientation（纸张方向）须是 portrait（纵向）或 landscape（横向）。")
    return data


def _list(data: object, where: str) -> list[object]:
    if not isinstance(data, list):
        raise _invalid(f"{where}须是列表。")
    return data


def _key(data: object, where: str) -> str:
    if not (isinstance(data, str) and data.isascii() and data.isidentifier() and len(data) <= 40):  # noqa: PLR2004 - key length bound
        raise _invalid(f"{where}须是不超过40个字符的英文标识（字母、数字、下划线）。")
    return data


def _text(data: object, where: str, *, allow_empty: bool = False) -> str:
    if not isinstance(data, str) or (not allow_empty and not data.strip()):
        raise _invalid(f"{where}须是非空文字。")
    if len(data) > MAX_TEXT:
        raise _invalid(f"{where}不能超过{MAX_TEXT}个字符。")
    return data


def _invalid(message: str) -> TemplateInvalidError:
    return TemplateInvalidError(message)
