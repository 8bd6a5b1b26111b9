"""The score sheets: versioned JSON data under score_sheets/, read once at start."""

from __future__ import annotations

import json
from pathlib import Path

from services.review.domain.errors import InvalidInputError
from services.review.domain.scoring import ScoreSheet, sheet_from_data

SHEETS_DIR = Path(__file__).parent / "score_sheets"


def load_sheets(directory: Path = SHEETS_DIR) -> dict[str, ScoreSheet]:
    sheets = [
        sheet_from_data(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(directory.glob("*.json"))
    ]
    return {sheet.sheet_id: sheet for sheet in sheets}


SHEETS = load_sheets()


def sheet_by_id(sheet_id: str) -> ScoreSheet:
    if sheet_id not in SHEETS:
        raise InvalidInputError(f"评分表：{sheet_id} 不存在，可选：{'、'.join(SHEETS)}。")
    return SHEETS[sheet_id]


def default_sheet_for(topic_type: str) -> ScoreSheet:
    for sheet in SHEETS.values():
        if topic_type in sheet.topic_types:
            return sheet
    raise InvalidInputError(f"评分表：没有适用于课题类型“{topic_type}”的成果评价表。")
