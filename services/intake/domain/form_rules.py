"""The 申报表's rules beyond field formats: who leads, which target, how long, whose name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from services.intake.domain.errors import InvalidFieldError

TOPIC_PROBLEM_SOLVING = "问题解决型"
LEADER_ROLE = "组长"
MEMBER_WARNING_THRESHOLD = 10
SUMMARY_MAX_CHARS = 1500


@dataclass(frozen=True)
class FormFacts:
    enterprise_name: str
    registered_enterprise_name: str
    topic_type: str
    target_kind: str | None
    member_roles: Sequence[str]
    summary: str


def check_form(facts: FormFacts) -> list[str]:
    """Refuse what cannot be submitted; return the warnings the applicant should see."""
    _check_enterprise_name(facts.enterprise_name, facts.registered_enterprise_name)
    check_target_kind(facts.topic_type, facts.target_kind)
    check_leader(facts.member_roles)
    _check_summary(facts.summary)
    return member_count_warnings(len(facts.member_roles))


def member_count_warnings(count: int) -> list[str]:
    if count <= MEMBER_WARNING_THRESHOLD:
        return []
    warning = (
        f"小组成员名单：共{count}人，超过{MEMBER_WARNING_THRESHOLD}人。"
        "QC小组一般以10人以内为宜，请确认名单无误（不影响保存和提交）。"
    )
    return [warning]


def _check_enterprise_name(entered: str, registered: str) -> None:
    if entered != registered:
        raise InvalidFieldError(
            f"企业名称：须与公章上的全称一致，证书将按此印制。"
            f"贵企业登记的全称为“{registered}”，您填写的是“{entered}”，请改为全称。"
        )


def check_target_kind(topic_type: str, target_kind: str | None) -> None:
    if topic_type == TOPIC_PROBLEM_SOLVING and target_kind is None:
        raise InvalidFieldError("目标类型：问题解决型课题须选择“自定目标”或“指令性目标”。")
    if topic_type != TOPIC_PROBLEM_SOLVING and target_kind is not None:
        raise InvalidFieldError("目标类型：创新型课题不区分自定目标/指令性目标，请去掉目标类型。")


def check_leader(roles: Sequence[str]) -> None:
    leaders = sum(1 for role in roles if role == LEADER_ROLE)
    if leaders != 1:
        raise InvalidFieldError(
            f"小组成员名单：须有且只有一名组长，当前有{leaders}名，请调整成员角色。"
        )


def _check_summary(summary: str) -> None:
    if len(summary) > SUMMARY_MAX_CHARS:
        raise InvalidFieldError(
            f"QC小组简介和主要活动过程及效果：最多{SUMMARY_MAX_CHARS}字，"
            f"当前{len(summary)}字，请精简。"
        )
