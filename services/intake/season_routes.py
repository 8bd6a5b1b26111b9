"""HTTP API of the season's frame: campaigns, forwarding, extensions, enterprises, QC groups."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, status
from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository, seasons
from services.intake.domain.deadlines import format_china_time
from services.intake.models import Campaign, Enterprise, QcGroup, UnitCampaign
from services.intake.schemas import (
    CampaignIn,
    CampaignOut,
    EnterpriseIn,
    EnterpriseOut,
    ExtensionIn,
    ForwardIn,
    GroupOut,
    GroupRegistrationIn,
    TopicIn,
    UnitCampaignOut,
)
from shared.http import CorrelationId, CurrentPrincipal, Now, RuntimeDep

router = APIRouter(prefix="/api", tags=["活动与小组"])


@router.post("/campaigns", status_code=status.HTTP_201_CREATED, summary="发布全国活动通知")
async def publish_campaign(
    body: CampaignIn, actor: CurrentPrincipal, runtime: RuntimeDep
) -> CampaignOut:
    async with runtime.transaction() as session:
        campaign = await seasons.publish_campaign(session, actor=actor, body=body)
    return campaign_out(campaign)


@router.post(
    "/campaigns/{campaign_id}/forward",
    status_code=status.HTTP_201_CREATED,
    summary="推荐单位转发通知（本单位文号、截止时间、联系人）",
)
async def forward_campaign(
    campaign_id: str,
    body: ForwardIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
    correlation_id: CorrelationId,
) -> UnitCampaignOut:
    async with runtime.transaction() as session:
        forwarded = await seasons.forward_campaign(
            session,
            actor=actor,
            campaign_id=campaign_id,
            body=body,
            now=now,
            correlation_id=correlation_id,
        )
        return await unit_campaign_out(session, forwarded, now)


@router.post("/campaigns/{campaign_id}/extensions", summary="推荐单位延长截止时间（留痕）")
async def extend_deadline(
    campaign_id: str,
    body: ExtensionIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
    correlation_id: CorrelationId,
) -> UnitCampaignOut:
    async with runtime.transaction() as session:
        forwarded = await seasons.extend_deadline(
            session,
            actor=actor,
            campaign_id=campaign_id,
            body=body,
            now=now,
            correlation_id=correlation_id,
        )
        return await unit_campaign_out(session, forwarded, now)


@router.get("/notice", summary="本单位最新转发的申报通知及截止倒计时")
async def current_notice(actor: CurrentPrincipal, runtime: RuntimeDep, now: Now) -> UnitCampaignOut:
    async with runtime.transaction() as session:
        forwarded = await seasons.current_unit_campaign(session, actor=actor)
        return await unit_campaign_out(session, forwarded, now)


@router.get("/campaigns/{campaign_id}/notice", summary="本单位转发的通知及截止倒计时")
async def unit_notice(
    campaign_id: str, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> UnitCampaignOut:
    async with runtime.transaction() as session:
        forwarded = await seasons.unit_campaign_for(session, actor=actor, campaign_id=campaign_id)
        return await unit_campaign_out(session, forwarded, now)


@router.post("/enterprises", status_code=status.HTTP_201_CREATED, summary="登记会员企业")
async def register_enterprise(
    body: EnterpriseIn, actor: CurrentPrincipal, runtime: RuntimeDep
) -> EnterpriseOut:
    async with runtime.transaction() as session:
        enterprise = await seasons.register_enterprise(session, actor=actor, body=body)
    return enterprise_out(enterprise)


@router.post("/groups", status_code=status.HTTP_201_CREATED, summary="QC小组注册登记")
async def register_group(
    body: GroupRegistrationIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
    correlation_id: CorrelationId,
) -> GroupOut:
    async with runtime.transaction() as session:
        group = await seasons.register_group(
            session, actor=actor, body=body, now=now, correlation_id=correlation_id
        )
        return await group_out(session, group)


@router.post(
    "/groups/{group_id}/topics", status_code=status.HTTP_201_CREATED, summary="课题注册登记"
)
async def register_topic(
    group_id: uuid.UUID,
    body: TopicIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
    correlation_id: CorrelationId,
) -> GroupOut:
    async with runtime.transaction() as session:
        topic = await seasons.register_topic(
            session,
            actor=actor,
            group_id=group_id,
            body=body,
            now=now,
            correlation_id=correlation_id,
        )
        group = await seasons.load_group(session, actor=actor, group_id=topic.group_id)
        return await group_out(session, group)


@router.get("/groups", summary="本企业登记的QC小组")
async def list_groups(actor: CurrentPrincipal, runtime: RuntimeDep) -> list[GroupOut]:
    async with runtime.transaction() as session:
        groups = await repository.groups_of_enterprise(session, actor.org_id)
        return [await group_out(session, group) for group in groups if actor.role == "applicant"]


def campaign_out(campaign: Campaign) -> CampaignOut:
    return CampaignOut(
        campaign_id=campaign.campaign_id,
        year=campaign.year,
        doc_number=campaign.doc_number,
        title=campaign.title,
        theme=campaign.theme,
        national_deadline_at=campaign.national_deadline_at,
        national_deadline_text=f"{format_china_time(campaign.national_deadline_at)}（北京时间）",
        contacts=campaign.contacts,
    )


async def unit_campaign_out(
    session: AsyncSession, forwarded: UnitCampaign, now: datetime
) -> UnitCampaignOut:
    campaign = await seasons.load_campaign(session, forwarded.campaign_id)
    unit = await repository.unit(session, forwarded.unit_id)
    extensions = await repository.extensions_of(session, forwarded.unit_id, forwarded.campaign_id)
    return UnitCampaignOut(
        unit_id=forwarded.unit_id,
        unit_name=unit.name if unit else forwarded.unit_id,
        campaign=campaign_out(campaign),
        doc_number=forwarded.doc_number,
        title=forwarded.title,
        body=forwarded.body,
        deadline_at=forwarded.deadline_at,
        deadline_text=f"{format_china_time(forwarded.deadline_at)}（北京时间）",
        seconds_left=max(0, int((forwarded.deadline_at - now).total_seconds())),
        contacts=forwarded.contacts,
        forwarded_at=forwarded.forwarded_at,
        extensions=[
            {
                "previous_deadline": format_china_time(extension.previous_deadline_at),
                "new_deadline": format_china_time(extension.new_deadline_at),
                "reason": extension.reason,
                "extended_by": extension.extended_by,
                "extended_at": extension.extended_at.isoformat(),
            }
            for extension in extensions
        ],
    )


def enterprise_out(enterprise: Enterprise) -> EnterpriseOut:
    return EnterpriseOut(
        enterprise_id=enterprise.enterprise_id,
        unit_id=enterprise.unit_id,
        name=enterprise.name,
        credit_code=enterprise.credit_code,
        contacts=enterprise.contacts,
    )


async def group_out(session: AsyncSession, group: QcGroup) -> GroupOut:
    topics = await repository.topics_of(session, group.group_id)
    return GroupOut(
        group_id=group.group_id,
        registration_number=group.registration_number,
        year=group.year,
        enterprise_id=group.enterprise_id,
        form=group.form,
        topics=[
            {"topic_id": str(t.topic_id), "registration_number": t.registration_number, **t.form}
            for t in topics
        ],
        warnings=seasons.group_warnings(group),
    )
