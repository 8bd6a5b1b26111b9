"""Default templates render in Chinese; HTML is escaped; broken edits are refused."""

from __future__ import annotations

import pytest

from services.notify.domain.recipients import Recipient, deduplicate
from services.notify.domain.templates import (
    DEFAULT_TEMPLATES,
    SAMPLE_CONTEXT,
    TEMPLATE_LABELS,
    TemplateRenderError,
    TemplateText,
    check_template,
    render,
)


@pytest.mark.parametrize("name", sorted(DEFAULT_TEMPLATES))
def test_every_default_renders_with_the_sample(name: str):
    message = render(DEFAULT_TEMPLATES[name], SAMPLE_CONTEXT)
    assert message.subject.startswith("【qcflow】")
    assert "\n" not in message.subject
    assert SAMPLE_CONTEXT["link"] in message.text
    assert SAMPLE_CONTEXT["link"] in message.html
    assert name in TEMPLATE_LABELS


def test_html_is_escaped_but_text_is_not():
    context = {**SAMPLE_CONTEXT, "reasons": ["<script>x</script> & 名称"]}
    message = render(DEFAULT_TEMPLATES["application_returned"], context)
    assert "<script>" in message.text
    assert "<script>" not in message.html
    assert "&lt;script&gt;" in message.html


@pytest.mark.parametrize(
    ("is_returned", "says"),
    [
        (False, "尚未向中国质量协会提交推荐材料包"),
        (True, "的推荐材料包已被中国质量协会退回，尚未重新提交"),
    ],
)
def test_national_deadline_reminder_says_whether_the_package_was_returned(
    is_returned: bool, says: str
):
    context = {**SAMPLE_CONTEXT, "is_returned": is_returned}
    message = render(DEFAULT_TEMPLATES["reminder_national_deadline"], context)
    assert f"西藏自治区质量协会{says}" in message.text
    assert says in message.html


def test_draft_reminder_tells_the_applicant_the_draft_is_not_submitted():
    message = render(DEFAULT_TEMPLATES["reminder_draft_deadline"], SAMPLE_CONTEXT)
    assert message.subject == "【qcflow】申报表草稿尚未提交（还剩3天）：雪域先锋QC小组"
    assert "您的申报表草稿尚未提交，截止时间为 2023年06月28日 17:00（北京时间）" in message.text


def test_unknown_variable_is_refused():
    broken = TemplateText(subject="{{ nope }}", text="x", html="x")
    assert check_template(broken) is not None
    with pytest.raises(TemplateRenderError):
        render(broken, SAMPLE_CONTEXT)


def test_bad_syntax_is_refused():
    assert check_template(TemplateText(subject="x", text="{% if %}", html="x")) is not None


def test_sandbox_refuses_attribute_tricks():
    sneaky = TemplateText(subject="x", text="{{ link.__class__.__mro__ }}", html="x")
    assert check_template(sneaky) is not None


def test_recipients_deduplicated_by_address_case_insensitive():
    people = deduplicate(
        [
            Recipient("applicant", "朗杰", "Langjie@Example.com", "u1"),
            Recipient("enterprise", "企业", "langjie@example.com "),
            Recipient("unit", "协会", "unit@example.com"),
        ]
    )
    assert [(p.kind, p.email) for p in people] == [
        ("applicant", "Langjie@Example.com"),
        ("unit", "unit@example.com"),
    ]
