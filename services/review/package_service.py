"""Use cases of the recommending unit's package to the national office; they never commit."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.review import service
from services.review.domain import package as rules
from services.review.domain import states
from services.review.domain.access import NATIONAL_STAFF, ensure_national_staff
from services.review.domain.errors import (
    ForbiddenError,
    InvalidInputError,
    NotFoundError,
    StateConflictError,
)
from services.review.domain.package_documents import version_code
from services.review.domain.package_statistics import (
    KnownFigures,
    differences,
    ensure_consistent,
    rates_of,
    totals_of,
)
from services.review.domain.tables import statistics_rows
from services.review.models import AuditRecord, Entry, UnitCampaign, UnitTable, messaging_tables
from services.review.package_models import UnitPackage
from shared.auth import Principal, Role
from shared.events import CampaignForwarded, Contact
from shared.events.review import (
    PackageAccepted,
    PackageReminded,
    PackageReturned,
    PackageSubmitted,
)
from shared.messaging.outbox import add_to_outbox

SYSTEM = Principal(user_id="system", role=Role.APPLICANT, org_id="", name="系统")


# --- from the bus ------------------------------------------------------------------------


async def register_unit_campaign(session: AsyncSession, event: CampaignForwarded) -> None:
    """Review's own record of the unit, plus the package's contacts (who hears each step)."""
    await service.register_unit_campaign(session, event)
    campaign_id = event.campaign_id or str(event.campaign_year)
    package = await _package_row(session, event.unit_id, campaign_id, now=_now())
    package.unit_contacts = [c.model_dump(mode="json") for c in event.unit_contacts]


# --- access ------------------------------------------------------------------------------


def ensure_may_read(actor: Principal, unit_id: str) -> None:
    if actor.role in NATIONAL_STAFF:
        return
    if actor.role == Role.UNIT_SECRETARY and actor.org_id == unit_id:
        return
    raise ForbiddenError("无权查看该推荐单位的推荐材料包：只有本单位秘书处和中国质量协会可以查看。")


def ensure_unit_secretary(actor: Principal, unit_id: str) -> None:
    if actor.role != Role.UNIT_SECRETARY or actor.org_id != unit_id:
        raise ForbiddenError("只有该推荐单位的秘书处可以编辑和提交本单位的推荐材料包。")


# --- reading -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    key: str
    label: str
    present: bool
    detail: str


@dataclass(frozen=True)
class PackageView:
    package: UnitPackage
    unit: UnitCampaign
    parts: tuple[Part, ...]
    recommendation_version: str | None

    @property
    def is_complete(self) -> bool:
        return all(part.present for part in self.parts)


async def view_package(
    session: AsyncSession, *, actor: Principal, unit_id: str, campaign_id: str, now: datetime
) -> PackageView:
    ensure_may_read(actor, unit_id)
    return await _view(session, unit_id, campaign_id, now=now)


async def _view(
    session: AsyncSession, unit_id: str, campaign_id: str, *, now: datetime
) -> PackageView:
    unit = await unit_of(session, unit_id, campaign_id)
    package = await _package_row(session, unit_id, campaign_id, now=now)
    recommendation = await current_table(session, unit_id, campaign_id, "recommendation")
    parts = (
        _scan_part(package, recommendation),
        await _summary_table_part(session, unit_id, campaign_id),
        await _statistics_part(session, package),
        _work_summary_part(package),
    )
    code = version_code(_pdf_of(recommendation)["sha256"]) if recommendation else None
    return PackageView(package=package, unit=unit, parts=parts, recommendation_version=code)


def _part(key: str, *, present: bool, detail: str) -> Part:
    return Part(key=key, label=rules.PART_LABELS[key], present=present, detail=detail)


def _scan_part(package: UnitPackage, table: UnitTable | None) -> Part:
    scan = package.recommendation_scan
    if table is None:
        return _part("recommendation_scan", present=False, detail="请先生成推荐表（PDF）。")
    if scan is None:
        return _part(
            "recommendation_scan", present=False, detail="请下载推荐表，盖章后上传 PDF 扫描件。"
        )
    if scan.get("table_request_id") != table.request_id:
        return _part(
            "recommendation_scan",
            present=False,
            detail="推荐表已重新生成，已上传的扫描件属于旧版本，请按新版本重新盖章上传。",
        )
    return _part("recommendation_scan", present=True, detail=str(scan.get("note", "")))


async def _summary_table_part(session: AsyncSession, unit_id: str, campaign_id: str) -> Part:
    table = await current_table(session, unit_id, campaign_id, "review_summary")
    if table is None:
        return _part("review_summary", present=False, detail="请生成本单位的成果评审汇总表。")
    return _part("review_summary", present=True, detail=f"已生成（{_iso(table.requested_at)}）")


async def _statistics_part(session: AsyncSession, package: UnitPackage) -> Part:
    if not package.statistics or package.statistics_request_id is None:
        return _part("activity_statistics", present=False, detail="请填写本年度活动统计数据。")
    table = await session.get(UnitTable, package.statistics_request_id)
    if table is None or not table.files:
        return _part(
            "activity_statistics", present=False, detail="统计数据已保存，活动统计表正在生成。"
        )
    return _part("activity_statistics", present=True, detail="已填写并生成活动统计表。")


def _work_summary_part(package: UnitPackage) -> Part:
    summary = package.work_summary
    if summary is None:
        return _part("work_summary", present=False, detail="请按提纲编写工作总结并上传 .docx。")
    return _part("work_summary", present=True, detail=f"已上传：{summary.get('filename', '')}")


async def current_table(
    session: AsyncSession, unit_id: str, campaign_id: str, kind: str
) -> UnitTable | None:
    """The latest rendered version of one of the unit's tables (one with a PDF)."""
    query = (
        select(UnitTable)
        .where(
            UnitTable.unit_id == unit_id,
            UnitTable.campaign_id == campaign_id,
            UnitTable.table_kind == kind,
        )
        .order_by(UnitTable.requested_at.desc())
    )
    for table in (await session.execute(query)).scalars():
        if any(f.get("format") == "pdf" for f in table.files):
            return table
    return None


def _pdf_of(table: UnitTable) -> dict[str, Any]:
    return next(f for f in table.files if f.get("format") == "pdf")


# --- part 1: the sealed 推荐表 scan --------------------------------------------------------


@dataclass(frozen=True)
class ScanTarget:
    """The version of the 推荐表 an upload must match."""

    unit_name: str
    table_request_id: str
    table_pdf_key: str
    code: str


async def scan_target(
    session: AsyncSession, *, actor: Principal, unit_id: str, campaign_id: str, now: datetime
) -> ScanTarget:
    ensure_unit_secretary(actor, unit_id)
    view = await _view(session, unit_id, campaign_id, now=now)
    rules.ensure_editable(view.package.status)
    table = await current_table(session, unit_id, campaign_id, "recommendation")
    if table is None:
        raise StateConflictError("推荐表盖章扫描件：请先生成推荐表，下载 PDF 盖章后再上传扫描件。")
    pdf = _pdf_of(table)
    return ScanTarget(
        unit_name=view.unit.unit_name,
        table_request_id=table.request_id,
        table_pdf_key=str(pdf["storage_key"]),
        code=version_code(str(pdf["sha256"])),
    )


async def record_upload(
    session: AsyncSession,
    *,
    actor: Principal,
    unit_id: str,
    campaign_id: str,
    part: str,
    description: dict[str, Any],
    now: datetime,
) -> PackageView:
    ensure_unit_secretary(actor, unit_id)
    package = await _package_row(session, unit_id, campaign_id, now=now)
    rules.ensure_editable(package.status)
    if part == "recommendation_scan":
        package.recommendation_scan = description
    else:
        package.work_summary = description
    package.updated_at = now
    session.add(_audit_row(actor, unit_id, f"package.{part}.uploaded", "", description))
    return await _view(session, unit_id, campaign_id, now=now)


async def ensure_may_upload(
    session: AsyncSession, *, actor: Principal, unit_id: str, campaign_id: str, now: datetime
) -> UnitCampaign:
    ensure_unit_secretary(actor, unit_id)
    package = await _package_row(session, unit_id, campaign_id, now=now)
    rules.ensure_editable(package.status)
    return await unit_of(session, unit_id, campaign_id)


# --- part 3: 活动统计表 ------------------------------------------------------------------


@dataclass(frozen=True)
class StatisticsInput:
    rows: list[dict[str, str]]
    filled_by: str
    phone: str


@dataclass(frozen=True)
class StatisticsResult:
    rows: list[dict[str, str]]
    totals: dict[str, str]
    warnings: list[str]
    table_request_id: str | None


async def known_figures(session: AsyncSession, unit_id: str, campaign_id: str) -> KnownFigures:
    base = (Entry.unit_id == unit_id, Entry.campaign_id == campaign_id)
    grouped = await session.execute(
        select(Entry.enterprise_name, func.count())
        .where(*base, Entry.status != states.WITHDRAWN)
        .group_by(Entry.enterprise_name)
    )
    recommended = await session.scalar(
        select(func.count()).where(*base, Entry.status.in_(service.RECOMMENDED_STATES))
    )
    return KnownFigures(
        entries_by_enterprise={str(name): int(count) for name, count in grouped.all()},
        entries_recommended=int(recommended or 0),
    )


async def read_known_figures(
    session: AsyncSession, *, actor: Principal, unit_id: str, campaign_id: str
) -> KnownFigures:
    ensure_may_read(actor, unit_id)
    await unit_of(session, unit_id, campaign_id)
    return await known_figures(session, unit_id, campaign_id)


def _with_rates(figures: dict[str, str]) -> dict[str, str]:
    return {**figures, **rates_of(figures)}


async def save_statistics(
    session: AsyncSession,
    *,
    actor: Principal,
    unit_id: str,
    campaign_id: str,
    statistics: StatisticsInput,
    now: datetime,
) -> StatisticsResult:
    """Check the figures, keep them and ask render for the 活动统计表 (rates computed there too)."""
    ensure_unit_secretary(actor, unit_id)
    package = await _package_row(session, unit_id, campaign_id, now=now)
    rules.ensure_editable(package.status)
    await unit_of(session, unit_id, campaign_id)
    known = await known_figures(session, unit_id, campaign_id)
    rows = [dict(r) for r in statistics_rows(statistics.rows, known.entries_by_enterprise)]
    if not rows:
        raise InvalidInputError("统计数据：请至少填写一行（每个会员单位一行）。")
    ensure_consistent(rows)
    table = await service.request_table(
        session,
        actor=actor,
        request=service.TableRequest(
            table_kind="activity_statistics",
            campaign_id=campaign_id,
            header={"filled_by": statistics.filled_by, "phone": statistics.phone},
            footer={},
            statistics=rows,
        ),
        now=now,
    )
    package.statistics = rows
    package.statistics_request_id = table.request_id
    package.updated_at = now
    session.add(_audit_row(actor, unit_id, "package.statistics.saved", "", {"rows": len(rows)}))
    return statistics_result(package, known)


def statistics_result(package: UnitPackage, known: KnownFigures) -> StatisticsResult:
    rows = list(package.statistics or [])
    return StatisticsResult(
        rows=[_with_rates(r) for r in rows],
        totals=_with_rates(totals_of(rows)) if rows else {},
        warnings=differences(rows, known),
        table_request_id=package.statistics_request_id,
    )


async def read_statistics(
    session: AsyncSession, *, actor: Principal, unit_id: str, campaign_id: str, now: datetime
) -> StatisticsResult:
    ensure_may_read(actor, unit_id)
    await unit_of(session, unit_id, campaign_id)
    package = await _package_row(session, unit_id, campaign_id, now=now)
    return statistics_result(package, await known_figures(session, unit_id, campaign_id))


# --- life cycle --------------------------------------------------------------------------


async def submit_package(
    session: AsyncSession, *, actor: Principal, unit_id: str, campaign_id: str, now: datetime
) -> PackageView:
    ensure_unit_secretary(actor, unit_id)
    view = await _view(session, unit_id, campaign_id, now=now)
    package, unit = view.package, view.unit
    rules.ensure_editable(package.status)
    if unit.disqualified_reason is not None:
        raise ForbiddenError(
            f"{unit.unit_name}已被取消本年度推荐资格（{unit.disqualified_reason}），不能提交推荐材料包。"
        )
    rules.ensure_before_national_deadline(now, unit.national_deadline_at)
    rules.ensure_complete({part.key: part.present for part in view.parts})
    was_returned = package.status == rules.RETURNED
    package.status = rules.next_status_on_submit(package.status)
    package.revision += 1
    package.submitted_at = package.updated_at = now
    action = "package.resubmitted" if was_returned else "package.submitted"
    session.add(_audit_row(actor, unit_id, action, "", {"revision": package.revision}))
    await _publish(session, PackageSubmitted, package, unit, actor)
    return view


async def return_package(
    session: AsyncSession,
    *,
    actor: Principal,
    unit_id: str,
    campaign_id: str,
    reasons: list[str],
    now: datetime,
) -> PackageView:
    ensure_national_staff(actor)
    checked = rules.checked_reasons(reasons)
    view = await _view(session, unit_id, campaign_id, now=now)
    rules.ensure_submitted(view.package.status, "退回")
    view.package.status = rules.RETURNED
    view.package.return_reasons = list(checked)
    view.package.updated_at = now
    detail = {"revision": view.package.revision, "reasons": list(checked)}
    session.add(_audit_row(actor, unit_id, "package.returned", "；".join(checked), detail))
    await _publish(session, PackageReturned, view.package, view.unit, actor, reasons=checked)
    return view


async def accept_package(
    session: AsyncSession, *, actor: Principal, unit_id: str, campaign_id: str, now: datetime
) -> PackageView:
    ensure_national_staff(actor)
    view = await _view(session, unit_id, campaign_id, now=now)
    rules.ensure_submitted(view.package.status, "接收")
    view.package.status = rules.ACCEPTED
    view.package.updated_at = now
    detail = {"revision": view.package.revision}
    session.add(_audit_row(actor, unit_id, "package.accepted", "", detail))
    await _publish(session, PackageAccepted, view.package, view.unit, actor)
    return view


# --- national dashboard ------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardRow:
    unit_id: str
    unit_name: str
    campaign_id: str
    status: str
    revision: int
    quota: int | None
    quota_used: int
    entries_recommended: int
    last_activity_at: datetime | None
    national_deadline_at: datetime


async def dashboard(
    session: AsyncSession, *, actor: Principal, campaign_id: str | None, now: datetime
) -> list[DashboardRow]:
    ensure_national_staff(actor)
    query = select(UnitCampaign).order_by(UnitCampaign.campaign_id, UnitCampaign.unit_id)
    if campaign_id:
        query = query.where(UnitCampaign.campaign_id == campaign_id)
    units = list((await session.execute(query)).scalars())
    return [await _dashboard_row(session, unit, now) for unit in units]


async def _dashboard_row(session: AsyncSession, unit: UnitCampaign, now: datetime) -> DashboardRow:
    package = await _package_row(session, unit.unit_id, unit.campaign_id, now=now, lock=False)
    base = (Entry.unit_id == unit.unit_id, Entry.campaign_id == unit.campaign_id)
    used = await session.scalar(
        select(func.count()).where(*base, Entry.status.in_(states.QUOTA_STATES))
    )
    recommended = await session.scalar(
        select(func.count()).where(*base, Entry.status.in_(service.RECOMMENDED_STATES))
    )
    last = await session.scalar(
        select(func.max(AuditRecord.at)).where(AuditRecord.unit_id == unit.unit_id)
    )
    return DashboardRow(
        unit_id=unit.unit_id,
        unit_name=unit.unit_name,
        campaign_id=unit.campaign_id,
        status=package.status,
        revision=package.revision,
        quota=unit.quota,
        quota_used=int(used or 0),
        entries_recommended=int(recommended or 0),
        last_activity_at=last,
        national_deadline_at=unit.national_deadline_at,
    )


async def remind_units(
    session: AsyncSession, *, actor: Principal, campaign_id: str, message: str, now: datetime
) -> list[str]:
    """One PackageReminded per unit whose package is not submitted (nor accepted)."""
    ensure_national_staff(actor)
    query = select(UnitCampaign).where(
        UnitCampaign.campaign_id == campaign_id, UnitCampaign.disqualified_reason.is_(None)
    )
    reminded = []
    for unit in (await session.execute(query.order_by(UnitCampaign.unit_id))).scalars():
        package = await _package_row(session, unit.unit_id, campaign_id, now=now)
        if package.status not in rules.NOT_SUBMITTED_STATES:
            continue
        session.add(_audit_row(actor, unit.unit_id, "package.reminded", message, {}))
        await _publish(
            session,
            PackageReminded,
            package,
            unit,
            actor,
            national_deadline_at=unit.national_deadline_at,
            message=message.strip(),
        )
        reminded.append(unit.unit_id)
    if not reminded:
        raise StateConflictError("所有推荐单位都已提交推荐材料包，无需提醒。")
    return reminded


# --- helpers -----------------------------------------------------------------------------


async def unit_of(session: AsyncSession, unit_id: str, campaign_id: str) -> UnitCampaign:
    unit = await session.get(UnitCampaign, (unit_id, campaign_id))
    if unit is None:
        raise NotFoundError(
            f"推荐单位 {unit_id} 尚未转发 {campaign_id} 活动通知，没有该年度的推荐材料包。"
        )
    return unit


async def _package_row(
    session: AsyncSession, unit_id: str, campaign_id: str, *, now: datetime, lock: bool = True
) -> UnitPackage:
    """The unit's package, a new draft when the unit has not touched it yet."""
    package = await session.get(UnitPackage, (unit_id, campaign_id), with_for_update=lock)
    if package is None:
        package = UnitPackage(
            unit_id=unit_id,
            campaign_id=campaign_id,
            status=rules.DRAFT,
            revision=0,
            unit_contacts=[],
            return_reasons=[],
            updated_at=now,
        )
        session.add(package)
    return package


async def _publish(
    session: AsyncSession,
    event_type: type[PackageSubmitted | PackageReturned | PackageAccepted | PackageReminded],
    package: UnitPackage,
    unit: UnitCampaign,
    actor: Principal,
    **extra: Any,  # noqa: ANN401 - the step's own fields (reasons, deadline), checked by pydantic
) -> None:
    event = event_type(
        campaign_id=unit.campaign_id,
        unit_id=unit.unit_id,
        unit_name=unit.unit_name,
        campaign_year=unit.campaign_year,
        revision=package.revision,
        unit_contacts=tuple(Contact.model_validate(c) for c in package.unit_contacts),
        decided_by=actor.user_id,
        **extra,
    )
    await add_to_outbox(session, messaging_tables, event)


def _audit_row(
    actor: Principal, unit_id: str, action: str, reason: str, detail: dict[str, Any]
) -> AuditRecord:
    return AuditRecord(
        record_id=uuid.uuid4(),
        at=_now(),
        actor_id=actor.user_id,
        actor_role=actor.role.value,
        actor_name=actor.name,
        unit_id=unit_id,
        application_id=None,
        action=action,
        reason=reason.strip(),
        detail=detail,
    )


def _iso(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat()


def _now() -> datetime:
    return datetime.now(UTC)
