from dataclasses import replace

import pytest

from services.intake.domain.errors import InvalidFieldError
from services.intake.domain.form_rules import SUMMARY_MAX_CHARS, FormFacts, check_form

REGISTERED = "国网西藏电力有限公司拉萨供电公司"
VALID = FormFacts(
    enterprise_name=REGISTERED,
    registered_enterprise_name=REGISTERED,
    topic_type="问题解决型",
    target_kind="自定目标",
    member_roles=["组长", "成员", "顾问"],
    summary="小组简介",
)


def test_check_form_valid_form_has_no_warnings():
    assert check_form(VALID) == []


def test_check_form_innovation_without_target_kind_is_valid():
    assert check_form(replace(VALID, topic_type="创新型", target_kind=None)) == []


def test_check_form_eleven_members_is_a_warning_not_an_error():
    warnings = check_form(replace(VALID, member_roles=["组长"] + ["成员"] * 10))
    assert len(warnings) == 1
    assert "共11人" in warnings[0]


def test_check_form_ten_members_has_no_warning():
    assert check_form(replace(VALID, member_roles=["组长"] + ["成员"] * 9)) == []


@pytest.mark.parametrize(
    ("change", "expected_words"),
    [
        ({"enterprise_name": "拉萨供电公司"}, f"贵企业登记的全称为“{REGISTERED}”"),
        ({"target_kind": None}, "问题解决型课题须选择"),
        ({"topic_type": "创新型"}, "创新型课题不区分"),
        ({"member_roles": ["成员", "顾问"]}, "当前有0名"),
        ({"member_roles": ["组长", "组长"]}, "当前有2名"),
        ({"summary": "字" * (SUMMARY_MAX_CHARS + 1)}, f"当前{SUMMARY_MAX_CHARS + 1}字"),
    ],
)
def test_check_form_refuses_with_the_field_named(change: dict[str, object], expected_words: str):
    with pytest.raises(InvalidFieldError) as refused:
        check_form(replace(VALID, **change))  # type: ignore[arg-type]
    assert expected_words in refused.value.message
