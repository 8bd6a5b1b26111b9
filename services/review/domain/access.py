"""Who may see which entries."""

from __future__ import annotations

from services.review.domain.errors import ForbiddenError
from shared.auth import Principal, Role

UNIT_ROLES = frozenset({Role.UNIT_SECRETARY, Role.UNIT_REVIEWER})


def visible_unit(actor: Principal) -> str:
    """The one recommending unit whose entries this actor may list."""
    if actor.role not in UNIT_ROLES:
        raise ForbiddenError("只有推荐单位的秘书处和评审专家可以查看本单位的申报。")
    return actor.org_id


def ensure_can_view(actor: Principal, entry_unit_id: str) -> None:
    if visible_unit(actor) != entry_unit_id:
        raise ForbiddenError("无权查看该申报：它不属于您所在的推荐单位。")
