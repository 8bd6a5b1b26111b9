from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.review.domain.errors import InvalidInputError
from services.review.domain.screening import ScreeningOutcome, checked_reasons

NOW = datetime(2023, 6, 1, tzinfo=UTC)


def test_accept_needs_no_reason():
    assert checked_reasons(ScreeningOutcome.ACCEPT, [], None, NOW) == ()


def test_return_records_labels_and_trimmed_notes():
    reasons = checked_reasons(
        ScreeningOutcome.RETURN,
        [("wrong_file_type", " 成果报告应为Word ")],
        NOW + timedelta(days=3),
        NOW,
    )
    assert [(r.code, r.label, r.note) for r in reasons] == [
        ("wrong_file_type", "文件类型不符合要求", "成果报告应为Word")
    ]


@pytest.mark.parametrize(
    ("outcome", "picked", "deadline", "message"),
    [
        (ScreeningOutcome.REJECT, [], None, "至少选择一项原因"),
        (ScreeningOutcome.RETURN, [("incomplete_form", "")], None, "修改截止时间：退回修改时必填"),
        (ScreeningOutcome.RETURN, [("incomplete_form", "")], NOW, "必须晚于当前时间"),
        (ScreeningOutcome.REJECT, [("other", " ")], None, "写明具体原因"),
        (ScreeningOutcome.ACCEPT, [("nope", "")], None, "未知代码 nope"),
    ],
)
def test_invalid_decisions_are_refused(
    outcome: ScreeningOutcome,
    picked: list[tuple[str, str]],
    deadline: datetime | None,
    message: str,
):
    with pytest.raises(InvalidInputError, match=message):
        checked_reasons(outcome, picked, deadline, NOW)
