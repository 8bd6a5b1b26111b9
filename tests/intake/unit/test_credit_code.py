import pytest

from services.intake.domain.credit_code import check_character, normalized_credit_code
from services.intake.domain.errors import InvalidFieldError

REAL_FORMAT_CODES = ["91350100M000100Y43", "91440300708461136T", "911100001000128855"]


@pytest.mark.parametrize("code", REAL_FORMAT_CODES)
def test_check_character_of_real_format_codes_matches_their_last_character(code: str):
    assert check_character(code[:-1]) == code[-1]


def test_normalized_credit_code_accepts_lower_case_and_spaces():
    assert normalized_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"


@pytest.mark.parametrize(
    ("code", "expected_words"),
    [
        ("91350100M000100Y4", "应为18位"),
        ("91350100M000100Y43X", "应为18位"),
        ("91350100O000100Y43", "不允许的字符“O”"),
        ("91350100M000100Y44", "校验位不正确"),
        ("91440300708461136Y", "校验位不正确"),
    ],
)
def test_normalized_credit_code_refuses_wrong_codes_with_the_reason(code: str, expected_words: str):
    with pytest.raises(InvalidFieldError) as refused:
        normalized_credit_code(code)
    assert expected_words in refused.value.message
    assert refused.value.status_code == 422


def test_one_changed_digit_is_always_detected():
    code = REAL_FORMAT_CODES[0]
    changed = [code[:5] + digit + code[6:] for digit in "0123456789" if digit != code[5]]
    assert all(check_character(c[:-1]) != c[-1] for c in changed)
