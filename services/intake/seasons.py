"""Use cases of the season's frame: campaigns, forwarding, deadlines, enterprises, QC groups."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from services.intake import repository
from services.intake.domain.credit_code import normalized_credit_code
from services.intake.domain.deadlines import ensure_extends, ensure_unit_deadline_fits
from services.intake.domain.errors import ConflictError, ForbiddenError, NotFoundError
from services.intake.domain.form_rules import (
    check_leader,
    check_target_kind,
    member_count_warnings,
)
from services.intake.domain.registration import (
    GROUP_SERIES,
    TOPIC_SERIES,
    group_registration_number,
    registration_prefix,
    topic_registration_number,
)
from services.intake.models import (
    Campaign,
    DeadlineExtension,
    Enterprise,
    QcGroup,
    QcTopic,
    UnitCampaign,
    messaging_tables,
)
from services.intake.schemas import (
    CampaignIn,
    ContactIn,
    EnterpriseIn,
    ExtensionIn,
    ForwardIn,
    GroupRegistrationIn,
    TopicIn,
)
from shared.auth import Principal, Role
from shared.events import (
    CampaignDeadlineExtended,
    CampaignForwarded,
    Contact,
    GroupMember,
    GroupRegistered,
    MemberEnterprise,
    RegisteredTopic,
    TargetKind,
    TopicType,
)
from shared.messaging.outbox import add_to_outbox

NATIONAL_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.NATIONAL_SECRETARY})


def _ensure_role(actor: Principal, roles: frozenset[Role], doing: str) -> None:
    if actor.role not in roles:
        raise ForbiddenError(f"您的账号无权{doing}。")


def _contacts(contacts: list[ContactIn]) -> list[dict[str, str]]:
    return [contact.model_dump(exclude_none=True) for contact in contacts]


async def publish_campaign(
    session: AsyncSession, *, actor: Principal, body: CampaignIn
) -> Campaign:
    _ensure_role(actor, NATIONAL_ROLES, "发布全国活动通知（仅限中国质量协会）")
    if await repository.campaign(session, body.campaign_id) is not None:
        raise ConflictError(f"活动编号：{body.campaign_id} 已存在，请换一个编号。")
    campaign = Campaign(
        campaign_id=body.campaign_id,
        year=body.year,
        doc_number=body.doc_number,
        title=body.title,
        theme=body.theme,
        national_deadline_at=body.national_deadline_at,
        contacts=_contacts(body.contacts),
    )
    session.add(campaign)
    await session.flush()
    return campaign


async def load_campaign(session: AsyncSession, campaign_id: str) -> Campaign:
    campaign = await repository.campaign(session, campaign_id)
    if campaign is None:
        raise NotFoundError(f"活动编号：{campaign_id} 不存在，请检查链接。")
    return campaign


async def forward_campaign(
    session: AsyncSession,
    *,
    actor: Principal,
    campaign_id: str,
    body: ForwardIn,
    now: datetime,
    correlation_id: str,
) -> UnitCampaign:
    _ensure_role(actor, frozenset({Role.UNIT_SECRETARY}), "转发通知（仅限推荐单位秘书处）")
    campaign = await load_campaign(session, campaign_id)
    unit = await repository.unit(session, actor.org_id)
    if unit is None:
        raise ForbiddenError("您的账号未关联推荐单位，请联系中国质量协会。")
    if await repository.unit_campaign(session, unit.unit_id, campaign_id) is not None:
        raise ConflictError("本单位已转发过该通知；如需推迟截止时间，请使用“延期”。")
    ensure_unit_deadline_fits(body.deadline_at, campaign.national_deadline_at)
    forwarded = UnitCampaign(
        unit_id=unit.unit_id,
        campaign_id=campaign_id,
        doc_number=body.doc_number,
        title=body.title,
        body=body.body,
        deadline_at=body.deadline_at,
        contacts=_contacts(body.contacts),
        forwarded_at=now,
    )
    session.add(forwarded)
    await session.flush()
    await add_to_outbox(
        session,
        messaging_tables,
        CampaignForwarded(
            campaign_id=campaign_id,
            correlation_id=correlation_id,
            unit_id=unit.unit_id,
            unit_name=unit.name,
            campaign_year=campaign.year,
            national_doc_number=campaign.doc_number,
            national_title=campaign.title,
            theme=campaign.theme,
            national_deadline_at=campaign.national_deadline_at,
            unit_doc_number=forwarded.doc_number,
            title=forwarded.title,
            body=forwarded.body,
            deadline_at=forwarded.deadline_at,
            unit_contacts=tuple(Contact.model_validate(c) for c in forwarded.contacts),
            national_contacts=tuple(Contact.model_validate(c) for c in campaign.contacts),
            member_enterprises=await _member_enterprises(session, unit.unit_id),
        ),
    )
    return forwarded


async def _member_enterprises(session: AsyncSession, unit_id: str) -> tuple[MemberEnterprise, ...]:
    enterprises = await repository.enterprises_of_unit(session, unit_id)
    applicants = await repository.applicants_of(session, [e.enterprise_id for e in enterprises])
    members = []
    for enterprise in enterprises:
        contacts = [Contact.model_validate(c) for c in enterprise.contacts]
        contacts += [
            Contact(name=user.name, email=user.email, user_id=user.user_id)
            for user in applicants
            if user.org_id == enterprise.enterprise_id
        ]
        members.append(
            MemberEnterprise(
                enterprise_id=enterprise.enterprise_id,
                name=enterprise.name,
                contacts=tuple(contacts),
            )
        )
    return tuple(members)


async def extend_deadline(
    session: AsyncSession,
    *,
    actor: Principal,
    campaign_id: str,
    body: ExtensionIn,
    now: datetime,
    correlation_id: str,
) -> UnitCampaign:
    _ensure_role(actor, frozenset({Role.UNIT_SECRETARY}), "延长截止时间（仅限推荐单位秘书处）")
    forwarded = await repository.unit_campaign(session, actor.org_id, campaign_id)
    if forwarded is None:
        raise NotFoundError("本单位尚未转发该通知，无法延期。")
    campaign = await load_campaign(session, campaign_id)
    ensure_extends(forwarded.deadline_at, body.new_deadline_at)
    ensure_unit_deadline_fits(body.new_deadline_at, campaign.national_deadline_at)
    extension = DeadlineExtension(
        extension_id=uuid.uuid4(),
        unit_id=forwarded.unit_id,
        campaign_id=campaign_id,
        previous_deadline_at=forwarded.deadline_at,
        new_deadline_at=body.new_deadline_at,
        reason=body.reason,
        extended_by=actor.user_id,
        extended_at=now,
    )
    session.add(extension)
    forwarded.deadline_at = body.new_deadline_at
    await session.flush()
    unit = await repository.unit(session, forwarded.unit_id)
    unit_name = unit.name if unit is not None else forwarded.unit_id
    await add_to_outbox(
        session,
        messaging_tables,
        _deadline_extended(extension, unit_name, correlation_id=correlation_id),
    )
    return forwarded


def _deadline_extended(
    extension: DeadlineExtension, unit_name: str, *, correlation_id: str
) -> CampaignDeadlineExtended:
    return CampaignDeadlineExtended(
        campaign_id=extension.campaign_id,
        correlation_id=correlation_id,
        extension_id=extension.extension_id,
        unit_id=extension.unit_id,
        unit_name=unit_name,
        previous_deadline_at=extension.previous_deadline_at,
        new_deadline_at=extension.new_deadline_at,
        reason=extension.reason,
        extended_by=extension.extended_by,
        extended_at=extension.extended_at,
    )


async def _unit_of(session: AsyncSession, actor: Principal) -> str:
    """The actor's recommending unit: their own, or their enterprise's."""
    if actor.role is not Role.APPLICANT:
        return actor.org_id
    enterprise = await repository.enterprise(session, actor.org_id)
    if enterprise is None:
        raise ForbiddenError("您的账号未关联企业，请联系推荐单位。")
    return enterprise.unit_id


async def current_unit_campaign(session: AsyncSession, *, actor: Principal) -> UnitCampaign:
    forwarded = await repository.open_unit_campaign(session, await _unit_of(session, actor))
    if forwarded is None:
        raise NotFoundError("您所在的推荐单位尚未转发本年度的申报通知。")
    return forwarded


async def unit_campaign_for(
    session: AsyncSession, *, actor: Principal, campaign_id: str
) -> UnitCampaign:
    forwarded = await repository.unit_campaign(session, await _unit_of(session, actor), campaign_id)
    if forwarded is None:
        raise NotFoundError("您所在的推荐单位尚未转发该通知。")
    return forwarded


async def register_enterprise(
    session: AsyncSession, *, actor: Principal, body: EnterpriseIn
) -> Enterprise:
    _ensure_role(actor, frozenset({Role.UNIT_SECRETARY}), "登记会员企业（仅限推荐单位秘书处）")
    credit_code = normalized_credit_code(body.credit_code)
    if await repository.enterprise(session, body.enterprise_id) is not None:
        raise ConflictError(f"企业编号：{body.enterprise_id} 已被使用，请换一个编号。")
    existing = await repository.enterprise_by_credit_code(session, credit_code)
    if existing is not None:
        raise ConflictError(
            f"统一社会信用代码：{credit_code} 已登记为“{existing.name}”，同一企业只能登记一次。"
        )
    enterprise = Enterprise(
        enterprise_id=body.enterprise_id,
        unit_id=actor.org_id,
        name=body.name,
        credit_code=credit_code,
        contacts=_contacts(body.contacts),
    )
    session.add(enterprise)
    await session.flush()
    return enterprise


async def register_group(
    session: AsyncSession,
    *,
    actor: Principal,
    body: GroupRegistrationIn,
    now: datetime,
    correlation_id: str,
) -> QcGroup:
    _ensure_role(actor, frozenset({Role.APPLICANT}), "登记QC小组（仅限企业申报账号）")
    enterprise = await repository.enterprise(session, actor.org_id)
    if enterprise is None:
        raise ForbiddenError("您的账号未关联企业，请联系推荐单位。")
    check_leader([member.role.value for member in body.members])
    prefix = await _prefix(session, enterprise.unit_id)
    sequence = await repository.next_sequence(session, enterprise.unit_id, body.year, GROUP_SERIES)
    group = QcGroup(
        group_id=uuid.uuid4(),
        registration_number=group_registration_number(prefix, body.year, sequence),
        year=body.year,
        unit_id=enterprise.unit_id,
        enterprise_id=enterprise.enterprise_id,
        owner_user_id=actor.user_id,
        form=body.model_dump(mode="json", exclude={"topic"}),
        registered_at=now,
    )
    session.add(group)
    await session.flush()
    topic = None
    if body.topic is not None:
        topic = await _add_topic(session, group=group, prefix=prefix, body=body.topic, now=now)
    await add_to_outbox(
        session,
        messaging_tables,
        _group_registered(group, enterprise, topic, correlation_id=correlation_id),
    )
    return group


async def register_topic(
    session: AsyncSession,
    *,
    actor: Principal,
    group_id: uuid.UUID,
    body: TopicIn,
    now: datetime,
    correlation_id: str,
) -> QcTopic:
    group = await load_group(session, actor=actor, group_id=group_id)
    enterprise = await repository.enterprise(session, group.enterprise_id)
    if enterprise is None:
        raise NotFoundError("小组所属企业不存在。")
    prefix = await _prefix(session, group.unit_id)
    topic = await _add_topic(session, group=group, prefix=prefix, body=body, now=now)
    await add_to_outbox(
        session,
        messaging_tables,
        _group_registered(group, enterprise, topic, correlation_id=correlation_id),
    )
    return topic


async def load_group(session: AsyncSession, *, actor: Principal, group_id: uuid.UUID) -> QcGroup:
    group = await repository.group(session, group_id)
    if group is None:
        raise NotFoundError("小组不存在，请检查链接。")
    if actor.role is not Role.APPLICANT or group.enterprise_id != actor.org_id:
        raise ForbiddenError("无权访问该小组：它不属于您所在的企业。")
    return group


async def _prefix(session: AsyncSession, unit_id: str) -> str:
    unit = await repository.unit(session, unit_id)
    return registration_prefix(unit.code if unit else None, unit_id)


async def _add_topic(
    session: AsyncSession, *, group: QcGroup, prefix: str, body: TopicIn, now: datetime
) -> QcTopic:
    _check_topic(body)
    sequence = await repository.next_sequence(session, group.unit_id, group.year, TOPIC_SERIES)
    topic = QcTopic(
        topic_id=uuid.uuid4(),
        registration_number=topic_registration_number(prefix, group.year, sequence),
        group_id=group.group_id,
        form=body.model_dump(mode="json"),
        registered_at=now,
    )
    session.add(topic)
    await session.flush()
    return topic


def _check_topic(body: TopicIn) -> None:
    check_target_kind(body.topic_type.value, body.target_kind.value if body.target_kind else None)


def group_warnings(group: QcGroup) -> list[str]:
    members = group.form.get("members")
    return member_count_warnings(len(members) if isinstance(members, list) else 0)


def _group_registered(
    group: QcGroup, enterprise: Enterprise, topic: QcTopic | None, *, correlation_id: str
) -> GroupRegistered:
    members = tuple(GroupMember.model_validate(m) for m in _list(group.form.get("members")))
    return GroupRegistered(
        correlation_id=correlation_id,
        group_id=str(group.group_id),
        registration_number=group.registration_number,
        year=group.year,
        unit_id=group.unit_id,
        enterprise_id=enterprise.enterprise_id,
        enterprise_name=enterprise.name,
        group_name=str(group.form["group_name"]),
        founded_on=str(group.form.get("founded_on") or ""),
        registered_on=group.registered_at.date().isoformat(),
        leader=next((m.name for m in members if m.role == "组长"), ""),
        adviser="、".join(m.name for m in members if m.role == "顾问"),
        members=members,
        topic=_registered_topic(topic) if topic else None,
        activity_frequency=str(group.form.get("activity_frequency") or ""),
    )


def _registered_topic(topic: QcTopic) -> RegisteredTopic:
    form = topic.form
    return RegisteredTopic(
        topic_name=str(form["topic_name"]),
        registration_number=topic.registration_number,
        topic_type=TopicType(str(form["topic_type"])),
        target_kind=TargetKind(str(form["target_kind"])) if form.get("target_kind") else None,
        registered_on=topic.registered_at.date().isoformat(),
        planned_start=str(form.get("planned_start") or "")[:10],
        planned_end=str(form.get("planned_end") or "")[:10],
    )


def _list(value: object) -> list[object]:
    return value if isinstance(value, list) else []
