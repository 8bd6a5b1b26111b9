"""Unicode digits that are not decimal ("³", "²") passed isdigit() and then crashed int(): 500."""

from __future__ import annotations

import pytest

from services.review.domain.errors import InvalidInputError
from services.review.domain.tables import statistics_rows


@pytest.mark.parametrize("typed", ["³", "²", "1²"])
def test_a_superscript_count_in_the_statistics_is_a_clear_422(typed: str):
    with pytest.raises(InvalidInputError) as refused:
        statistics_rows([{"enterprise_name": "某公司", "achievements": typed}], {})
    assert refused.value.status_code == 422
    assert "应为非负整数" in refused.value.message


def test_full_width_decimal_digits_are_still_accepted():
    rows = statistics_rows([{"enterprise_name": "某公司", "achievements": "１２"}], {})
    assert rows[0]["achievements"] == "12"
