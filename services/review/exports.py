"""Per-criterion scores per reviewer as xlsx (one worksheet per score sheet) and csv."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.styles import Font

from services.review.domain.scoring import ScoreSheet

ENTRY_HEADERS = ("申报编号", "企业名称", "小组名称", "课题名称", "课题类型", "评审专家")


@dataclass(frozen=True)
class ExportRow:
    application_id: str
    enterprise_name: str
    group_name: str
    topic_name: str
    topic_type: str
    reviewer: str
    sheet: ScoreSheet
    marks: dict[str, str]
    comments: dict[str, str]
    total: str

    @property
    def entry_cells(self) -> list[str]:
        return [
            self.application_id,
            self.enterprise_name,
            self.group_name,
            self.topic_name,
            self.topic_type,
            self.reviewer,
        ]


def scores_xlsx(rows: Sequence[ExportRow]) -> bytes:
    workbook = Workbook()
    if workbook.active is not None:
        workbook.remove(workbook.active)
    sheets = {row.sheet.sheet_id: row.sheet for row in rows}
    if not sheets:
        workbook.create_sheet("评分明细").append(["暂无已完成的评分"])
    for sheet in sheets.values():
        worksheet = workbook.create_sheet(sheet.title[:31])
        criteria = [f"{c.label}（{c.maximum}分）" for c in sheet.criteria]
        worksheet.append([*ENTRY_HEADERS, *criteria, "合计", "评语"])
        for cell in worksheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            if row.sheet.sheet_id != sheet.sheet_id:
                continue
            marks = [float(row.marks.get(c.code, "0")) for c in sheet.criteria]
            worksheet.append([*row.entry_cells, *marks, float(row.total or 0), _comments(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def scores_csv(rows: Sequence[ExportRow]) -> bytes:
    """One line per reviewer and criterion, so entries with different sheets share columns."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*ENTRY_HEADERS, "评分表", "评分项", "满分", "得分", "评语"])
    for row in rows:
        for criterion in row.sheet.criteria:
            writer.writerow(
                [
                    *row.entry_cells,
                    row.sheet.title,
                    criterion.label,
                    str(criterion.maximum),
                    row.marks.get(criterion.code, ""),
                    row.comments.get(criterion.code, ""),
                ]
            )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8


def _comments(row: ExportRow) -> str:
    labels = {c.code: c.label for c in row.sheet.criteria}
    return "；".join(f"{labels.get(code, code)}：{text}" for code, text in row.comments.items())
