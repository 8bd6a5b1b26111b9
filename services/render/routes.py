"""Render's HTTP API: table templates, versioned, uploaded by the national administrator."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from services.render import service
from services.render.domain.errors import NotAllowedError
from shared.auth import Principal, Role
from shared.http import CurrentPrincipal, Now, RuntimeDep

router = APIRouter(prefix="/api/table-templates", tags=["表格模板"])


def _require_admin(principal: Principal) -> None:
    if principal.role != Role.NATIONAL_ADMIN:
        raise NotAllowedError("只有中国质协系统管理员可以修改表格模板。")


@router.get("/{kind}", summary="当前表格模板")
async def show_template(kind: str, principal: CurrentPrincipal, runtime: RuntimeDep) -> Any:  # noqa: ANN401 - JSON document
    del principal  # any signed-in user may read the template
    async with runtime.transaction() as session:
        return await service.show_table_template(session, kind=kind)


@router.post("/{kind}", status_code=201, summary="上传表格模板新版本")
async def upload_template(
    kind: str,
    # Any JSON: the domain validates it and names the faulty field in Chinese.
    definition: Annotated[Any, Body(description="模板（JSON 对象）")],  # noqa: ANN401 - see above
    principal: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
) -> Any:  # noqa: ANN401 - JSON document
    _require_admin(principal)
    async with runtime.transaction() as session:
        return await service.upload_table_template(
            session, kind=kind, definition=definition, uploaded_by=principal.user_id, now=now
        )
