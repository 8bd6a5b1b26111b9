"""HTTP API of the directory: recommending units and user accounts (idempotent PUT)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from services.intake import directory
from services.intake.models import RecommendingUnit, User
from services.intake.schemas import UnitIn, UnitOut, UserIn, UserOut
from shared.auth import Role
from shared.http import CurrentPrincipal, RuntimeDep

router = APIRouter(prefix="/api", tags=["推荐单位与账号"])


@router.put(
    "/units/{unit_id}",
    summary="登记或更新推荐单位（全国管理员）",
    responses={status.HTTP_201_CREATED: {"model": UnitOut, "description": "新建"}},
)
async def save_unit(
    unit_id: str, body: UnitIn, actor: CurrentPrincipal, runtime: RuntimeDep, response: Response
) -> UnitOut:
    async with runtime.transaction() as session:
        unit, is_created = await directory.save_unit(
            session, actor=actor, unit_id=unit_id, body=body
        )
    response.status_code = status.HTTP_201_CREATED if is_created else status.HTTP_200_OK
    return unit_out(unit, is_created=is_created)


@router.put(
    "/users/{username}",
    summary="开通或更新用户账号（全国管理员；推荐单位秘书处限本单位）",
    responses={status.HTTP_201_CREATED: {"model": UserOut, "description": "新建"}},
)
async def save_user(
    username: str, body: UserIn, actor: CurrentPrincipal, runtime: RuntimeDep, response: Response
) -> UserOut:
    async with runtime.transaction() as session:
        user, is_created = await directory.save_user(
            session, actor=actor, username=username, body=body
        )
    response.status_code = status.HTTP_201_CREATED if is_created else status.HTTP_200_OK
    return user_out(user, is_created=is_created)


def unit_out(unit: RecommendingUnit, *, is_created: bool) -> UnitOut:
    return UnitOut(
        unit_id=unit.unit_id,
        unit_name=unit.name,
        code=unit.code,
        kind=unit.kind,
        is_created=is_created,
    )


def user_out(user: User, *, is_created: bool) -> UserOut:
    return UserOut(
        user_id=user.user_id,
        username=user.username,
        name=user.name,
        role=user.role,
        role_label=directory.ROLE_LABELS[Role(user.role)],
        email=user.email,
        org_id=user.org_id,
        is_created=is_created,
        is_password_set=is_created,
    )
