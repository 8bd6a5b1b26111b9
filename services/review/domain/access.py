"""Who may see and decide what.

Units see their own entries, national staff what was recommended, reviewers their assignments.
"""

from __future__ import annotations

from dataclasses import dataclass

from services.review.domain.errors import ForbiddenError
from shared.auth import Principal, Role

NATIONAL_POOL = "caq"
UNIT_ROLES = frozenset({Role.UNIT_SECRETARY, Role.UNIT_REVIEWER})
NATIONAL_ROLES = frozenset({Role.NATIONAL_SECRETARY, Role.NATIONAL_REVIEWER, Role.NATIONAL_ADMIN})
REVIEWER_ROLES = frozenset({Role.UNIT_REVIEWER, Role.NATIONAL_REVIEWER})
NATIONAL_STAFF = frozenset({Role.NATIONAL_SECRETARY, Role.NATIONAL_ADMIN})


@dataclass(frozen=True)
class EntryScope:
    unit_id: str
    is_at_national_level: bool
    reviewer_ids: frozenset[str]
    national_reviewer_ids: frozenset[str]


def is_reviewer(actor: Principal) -> bool:
    return actor.role in REVIEWER_ROLES


def is_national(actor: Principal) -> bool:
    return actor.role in NATIONAL_ROLES


def can_view(actor: Principal, scope: EntryScope) -> bool:
    if actor.role == Role.UNIT_REVIEWER:
        return actor.org_id == scope.unit_id and actor.user_id in scope.reviewer_ids
    if actor.role == Role.NATIONAL_REVIEWER:
        return actor.user_id in scope.national_reviewer_ids
    if actor.role in UNIT_ROLES:
        return actor.org_id == scope.unit_id
    if actor.role in NATIONAL_ROLES:
        return scope.is_at_national_level
    return False


def ensure_can_view(actor: Principal, scope: EntryScope) -> None:
    if not can_view(actor, scope):
        raise ForbiddenError("无权查看该申报：它不属于您所在的推荐单位，或未分配给您评审。")


def visible_unit(actor: Principal) -> str:
    """The one recommending unit whose entries this unit actor may list."""
    if actor.role not in UNIT_ROLES:
        raise ForbiddenError("只有推荐单位的秘书处和评审专家可以查看本单位的申报。")
    return actor.org_id


def ensure_unit_secretary_of(actor: Principal, unit_id: str) -> None:
    if actor.role != Role.UNIT_SECRETARY or actor.org_id != unit_id:
        raise ForbiddenError("只有该申报所属推荐单位的秘书处可以执行此操作。")


def ensure_national_staff(actor: Principal) -> None:
    if actor.role not in NATIONAL_STAFF:
        raise ForbiddenError("只有中国质量协会的秘书处或管理员可以执行此操作。")


def ensure_secretary(actor: Principal) -> None:
    if actor.role not in {Role.UNIT_SECRETARY, *NATIONAL_STAFF}:
        raise ForbiddenError("只有推荐单位秘书处或中国质量协会秘书处可以执行此操作。")


def pool_of(actor: Principal) -> str:
    """The reviewer pool a secretary manages: their unit's, or the national one."""
    ensure_secretary(actor)
    return NATIONAL_POOL if actor.role in NATIONAL_STAFF else actor.org_id
