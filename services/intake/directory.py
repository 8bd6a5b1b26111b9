"""Use cases of the directory: recommending units and user accounts, created or updated by PUT."""

from __future__ import annotations

import re
from typing import TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository
from services.intake.domain.errors import ConflictError, ForbiddenError, InvalidFieldError
from services.intake.models import Base, RecommendingUnit, User
from services.intake.schemas import UnitIn, UserIn
from services.intake.service import password_hasher
from shared.auth import Principal, Role

UNIT_ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,38}")
USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{1,39}")
ROLE_LABELS = {
    Role.APPLICANT: "企业申报账号",
    Role.UNIT_REVIEWER: "推荐单位评审专家",
    Role.UNIT_SECRETARY: "推荐单位秘书处",
    Role.NATIONAL_REVIEWER: "全国评审专家",
    Role.NATIONAL_SECRETARY: "全国秘书处",
    Role.NATIONAL_ADMIN: "全国管理员",
}
UNIT_ROLES = frozenset({Role.UNIT_SECRETARY, Role.UNIT_REVIEWER})
NATIONAL_ROLES = frozenset({Role.NATIONAL_SECRETARY, Role.NATIONAL_REVIEWER, Role.NATIONAL_ADMIN})
# Who may open which accounts. Nobody reaches a role above their own; a unit secretary only
# opens accounts below the secretariat, inside its own unit.
GRANTABLE_ROLES = {
    Role.NATIONAL_ADMIN: frozenset(Role),
    Role.UNIT_SECRETARY: frozenset({Role.UNIT_REVIEWER, Role.APPLICANT}),
}

Row = TypeVar("Row", bound=Base)


def grantable_roles(actor_role: Role) -> frozenset[Role]:
    return GRANTABLE_ROLES.get(actor_role, frozenset())


def check_unit_id(unit_id: str) -> None:
    if not UNIT_ID_PATTERN.fullmatch(unit_id):
        raise InvalidFieldError(
            f"推荐单位编号：{unit_id[:40]!r} 格式不正确，须为2～39位小写字母、数字或连字符"
            "（以字母或数字开头，如 xizang）。"
        )


def check_username(username: str) -> None:
    if not USERNAME_PATTERN.fullmatch(username):
        raise InvalidFieldError(
            f"用户名：{username[:40]!r} 格式不正确，须为2～40位字母、数字或 . _ @ -"
            "（以字母或数字开头）。"
        )


# --- recommending units ------------------------------------------------------------------


async def save_unit(
    session: AsyncSession, *, actor: Principal, unit_id: str, body: UnitIn
) -> tuple[RecommendingUnit, bool]:
    """Create or update the unit; returns it and whether it was created."""
    check_unit_id(unit_id)
    if actor.role is not Role.NATIONAL_ADMIN:
        raise ForbiddenError("您的账号无权登记推荐单位（仅限全国管理员）。")
    await _ensure_free(session, RecommendingUnit.code == body.code, unit_id, "单位代码")
    await _ensure_free(session, RecommendingUnit.name == body.unit_name, unit_id, "单位名称")
    unit = await repository.unit(session, unit_id)
    if unit is not None:
        unit.name, unit.code, unit.kind = body.unit_name, body.code, body.kind.value
        await session.flush()
        return unit, False
    unit = RecommendingUnit(
        unit_id=unit_id, name=body.unit_name, code=body.code, kind=body.kind.value
    )
    await _insert(session, unit, f"推荐单位编号：{unit_id} 正被另一请求同时登记，请稍后重试。")
    return unit, True


async def _ensure_free(
    session: AsyncSession, condition: ColumnElement[bool], unit_id: str, label: str
) -> None:
    """A code or name belongs to one unit: registration numbers and seals must not collide."""
    others = select(RecommendingUnit).where(condition, RecommendingUnit.unit_id != unit_id)
    holder = (await session.execute(others.limit(1))).scalar_one_or_none()
    if holder is not None:
        raise ConflictError(
            f"{label}：已被推荐单位“{holder.name}”（编号 {holder.unit_id}）使用，不能重复。"
        )


async def _insert(session: AsyncSession, row: Row, conflict: str) -> None:
    """Insert in a savepoint: a concurrent insert of the same key is a 409, not a 500."""
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise ConflictError(conflict) from exc


# --- user accounts -----------------------------------------------------------------------


async def save_user(
    session: AsyncSession, *, actor: Principal, username: str, body: UserIn
) -> tuple[User, bool]:
    """Create or update the account; returns it and whether it was created.

    The initial password is set only on creation: importing the same file again never resets
    a password the user has changed since.
    """
    check_username(username)
    _ensure_may_grant(actor, body.role)
    org_id = await _organisation_of(session, actor=actor, body=body)
    user = await repository.user_by_username(session, username)
    if user is not None:
        await _ensure_manages(session, actor, user)
        if user.user_id == actor.user_id and user.role != body.role.value:
            raise ConflictError("角色：不能修改自己账号的角色，请由另一位全国管理员操作。")
        user.name, user.email, user.role = body.name, body.email, body.role.value
        user.org_id = org_id
        await session.flush()
        return user, False
    if body.initial_password is None:
        raise InvalidFieldError("初始密码：新建账号必须设置初始密码。")
    user = User(
        user_id=username,
        username=username,
        name=body.name,
        email=body.email,
        role=body.role.value,
        org_id=org_id,
        password_hash=password_hasher.hash(body.initial_password),
    )
    await _insert(session, user, f"用户名：{username} 已被占用，请换一个用户名。")
    return user, True


def _ensure_may_grant(actor: Principal, role: Role) -> None:
    grantable = grantable_roles(actor.role)
    if not grantable:
        raise ForbiddenError("您的账号无权开通用户账号（仅限全国管理员和推荐单位秘书处）。")
    if role not in grantable:
        allowed = "、".join(ROLE_LABELS[r] for r in Role if r in grantable)
        raise ForbiddenError(f"角色：您的账号不能开通“{ROLE_LABELS[role]}”，只能开通：{allowed}。")


async def _organisation_of(session: AsyncSession, *, actor: Principal, body: UserIn) -> str:
    """The org_id of the account: its enterprise, its unit, or the national office."""
    if body.role is Role.APPLICANT:
        return await _enterprise_of(session, actor=actor, body=body)
    if body.role in UNIT_ROLES:
        return await _unit_of(session, actor=actor, body=body)
    if body.unit_id or body.enterprise_id:
        raise InvalidFieldError(
            "所属单位编号 / 所属企业编号：全国账号不属于推荐单位或企业，请留空。"
        )
    return actor.org_id


async def _enterprise_of(session: AsyncSession, *, actor: Principal, body: UserIn) -> str:
    if not body.enterprise_id:
        raise InvalidFieldError("所属企业编号：企业申报账号必须填写所属企业编号。")
    enterprise = await repository.enterprise(session, body.enterprise_id)
    if enterprise is None:
        raise InvalidFieldError(
            f"所属企业编号：{body.enterprise_id} 不存在，请先由推荐单位登记该企业。"
        )
    if body.unit_id and body.unit_id != enterprise.unit_id:
        raise InvalidFieldError(
            f"所属单位编号：企业 {enterprise.enterprise_id} 属于推荐单位 {enterprise.unit_id}，"
            f"与填写的 {body.unit_id} 不一致。"
        )
    if actor.role is Role.UNIT_SECRETARY and enterprise.unit_id != actor.org_id:
        raise ForbiddenError(
            f"所属企业编号：{enterprise.enterprise_id} 不是本单位的会员企业，不能为其开通账号。"
        )
    return enterprise.enterprise_id


async def _unit_of(session: AsyncSession, *, actor: Principal, body: UserIn) -> str:
    if body.enterprise_id:
        raise InvalidFieldError("所属企业编号：推荐单位的账号不属于企业，请留空。")
    if not body.unit_id:
        raise InvalidFieldError(f"所属单位编号：{ROLE_LABELS[body.role]}必须填写所属单位编号。")
    if await repository.unit(session, body.unit_id) is None:
        raise InvalidFieldError(f"所属单位编号：{body.unit_id} 不存在，请先登记该推荐单位。")
    if actor.role is Role.UNIT_SECRETARY and body.unit_id != actor.org_id:
        raise ForbiddenError("所属单位编号：只能为本单位开通评审专家账号。")
    return body.unit_id


async def _ensure_manages(session: AsyncSession, actor: Principal, user: User) -> None:
    """An existing account may be changed only by someone who could have opened it."""
    if actor.role is Role.NATIONAL_ADMIN:
        return
    role = Role(user.role)
    if role is Role.UNIT_REVIEWER and user.org_id == actor.org_id:
        return
    if role is Role.APPLICANT:
        enterprise = await repository.enterprise(session, user.org_id)
        if enterprise is not None and enterprise.unit_id == actor.org_id:
            return
    raise ForbiddenError(
        f"用户名：{user.username} 已是其他单位或更高权限的账号，您无权修改；新账号请换一个用户名。"
    )
