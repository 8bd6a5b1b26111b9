"""The reviewer API."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from services.review import service
from services.review.schemas import EntryOut
from shared.http import CurrentPrincipal, RuntimeDep

router = APIRouter(prefix="/api", tags=["评审"])


@router.get("/entries", summary="本推荐单位收到的申报")
async def list_entries(actor: CurrentPrincipal, runtime: RuntimeDep) -> list[EntryOut]:
    async with runtime.transaction() as session:
        entries = await service.list_entries(session, actor=actor)
        return [EntryOut.model_validate(entry) for entry in entries]


@router.get("/entries/{application_id}", summary="一条申报")
async def get_entry(
    application_id: uuid.UUID, actor: CurrentPrincipal, runtime: RuntimeDep
) -> EntryOut:
    async with runtime.transaction() as session:
        entry = await service.get_entry(session, actor=actor, application_id=application_id)
        return EntryOut.model_validate(entry)
