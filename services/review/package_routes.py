"""The package API: unit secretaries build and submit it, national staff return or accept it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from services.review import package_service, package_uploads
from services.review.domain.package import STATUS_LABELS
from services.review.domain.package_documents import SUMMARY_HEADINGS
from services.review.package_service import PackageView, StatisticsResult
from services.review.routes import attachment_headers
from shared.http import CurrentPrincipal, Now, RuntimeDep

router = APIRouter(prefix="/api", tags=["推荐材料包"])
PACKAGE = "/units/{unit_id}/campaigns/{campaign_id}/package"
Filename = Annotated[str, Query(max_length=255)]
Text = Annotated[str, StringConstraints(max_length=2000)]


class PartOut(BaseModel):
    key: str
    label: str
    present: bool
    detail: str


class PackageOut(BaseModel):
    unit_id: str
    unit_name: str
    campaign_id: str
    status: str
    status_label: str
    revision: int
    return_reasons: list[str]
    parts: list[PartOut]
    is_complete: bool
    recommendation_version: str | None
    national_deadline_at: datetime
    summary_headings: list[str]
    note: str = ""


def _out(view: PackageView, note: str = "") -> PackageOut:
    package = view.package
    return PackageOut(
        unit_id=package.unit_id,
        unit_name=view.unit.unit_name,
        campaign_id=package.campaign_id,
        status=package.status,
        status_label=STATUS_LABELS[package.status],
        revision=package.revision,
        return_reasons=list(package.return_reasons),
        parts=[PartOut(**part.__dict__) for part in view.parts],
        is_complete=view.is_complete,
        recommendation_version=view.recommendation_version,
        national_deadline_at=view.unit.national_deadline_at,
        summary_headings=list(SUMMARY_HEADINGS),
        note=note,
    )


class StatisticsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rows: list[dict[str, Annotated[str, StringConstraints(max_length=200)]]] = Field(
        max_length=2000
    )
    filled_by: Annotated[str, StringConstraints(max_length=50)] = ""
    phone: Annotated[str, StringConstraints(max_length=30)] = ""


class StatisticsOut(BaseModel):
    rows: list[dict[str, str]]
    totals: dict[str, str]
    warnings: list[str]
    table_request_id: str | None


def _statistics_out(result: StatisticsResult) -> StatisticsOut:
    return StatisticsOut(**result.__dict__)


class KnownOut(BaseModel):
    entries_by_enterprise: dict[str, int]
    entries_submitted: int
    entries_recommended: int


class ReturnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[Text] = Field(max_length=50)


class ReminderIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    campaign_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    message: Text = ""


class ReminderOut(BaseModel):
    reminded_unit_ids: list[str]


class DashboardOut(BaseModel):
    unit_id: str
    unit_name: str
    campaign_id: str
    status: str
    status_label: str
    revision: int
    quota: int | None
    quota_used: int
    entries_recommended: int
    last_activity_at: datetime | None
    national_deadline_at: datetime


@router.get(PACKAGE, summary="推荐材料包：状态与四个部分")
async def get_package(
    unit_id: str, campaign_id: str, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> PackageOut:
    async with runtime.transaction() as session:
        view = await package_service.view_package(
            session, actor=actor, unit_id=unit_id, campaign_id=campaign_id, now=now
        )
        return _out(view)


@router.post(
    PACKAGE + "/recommendation-scan", summary="上传盖章的推荐表 PDF 扫描件（请求体即文件）"
)
async def upload_scan(
    unit_id: str,
    campaign_id: str,
    request: Request,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
    filename: Filename = "推荐表盖章扫描件.pdf",
) -> PackageOut:
    view, note = await package_uploads.upload_scan(
        runtime,
        actor=actor,
        unit_id=unit_id,
        campaign_id=campaign_id,
        chunks=request.stream(),
        filename=filename,
        now=now,
    )
    return _out(view, note)


@router.get(PACKAGE + "/work-summary/outline", summary="下载工作总结提纲（.docx）")
async def download_outline(
    unit_id: str, campaign_id: str, actor: CurrentPrincipal, runtime: RuntimeDep
) -> Response:
    data = await package_uploads.work_summary_outline(
        runtime, actor=actor, unit_id=unit_id, campaign_id=campaign_id
    )
    return Response(
        data,
        media_type=package_uploads.DOCX_TYPE,
        headers=attachment_headers(f"质量管理小组活动工作总结提纲-{campaign_id}.docx"),
    )


@router.post(PACKAGE + "/work-summary", summary="上传工作总结（.docx，请求体即文件）")
async def upload_work_summary(
    unit_id: str,
    campaign_id: str,
    request: Request,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
    filename: Filename = "质量管理小组活动工作总结.docx",
) -> PackageOut:
    view = await package_uploads.upload_work_summary(
        runtime,
        actor=actor,
        unit_id=unit_id,
        campaign_id=campaign_id,
        chunks=request.stream(),
        filename=filename,
        now=now,
    )
    return _out(view)


@router.get(PACKAGE + "/statistics/known", summary="qcflow 已知的本单位数据（用于预填）")
async def known_figures(
    unit_id: str, campaign_id: str, actor: CurrentPrincipal, runtime: RuntimeDep
) -> KnownOut:
    async with runtime.transaction() as session:
        known = await package_service.read_known_figures(
            session, actor=actor, unit_id=unit_id, campaign_id=campaign_id
        )
        return KnownOut(
            entries_by_enterprise=dict(known.entries_by_enterprise),
            entries_submitted=known.entries_submitted,
            entries_recommended=known.entries_recommended,
        )


@router.get(PACKAGE + "/statistics", summary="已填写的活动统计数据（含计算的比率）")
async def read_statistics(
    unit_id: str, campaign_id: str, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> StatisticsOut:
    async with runtime.transaction() as session:
        result = await package_service.read_statistics(
            session, actor=actor, unit_id=unit_id, campaign_id=campaign_id, now=now
        )
        return _statistics_out(result)


@router.put(PACKAGE + "/statistics", summary="填写活动统计数据并生成活动统计表")
async def save_statistics(
    unit_id: str,
    campaign_id: str,
    body: StatisticsIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
) -> StatisticsOut:
    statistics = package_service.StatisticsInput(
        rows=[dict(r) for r in body.rows], filled_by=body.filled_by, phone=body.phone
    )
    async with runtime.transaction() as session:
        result = await package_service.save_statistics(
            session,
            actor=actor,
            unit_id=unit_id,
            campaign_id=campaign_id,
            statistics=statistics,
            now=now,
        )
        return _statistics_out(result)


@router.post(PACKAGE + "/submit", summary="提交推荐材料包（四部分齐全，截止前）")
async def submit_package(
    unit_id: str, campaign_id: str, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> PackageOut:
    async with runtime.transaction() as session:
        view = await package_service.submit_package(
            session, actor=actor, unit_id=unit_id, campaign_id=campaign_id, now=now
        )
        return _out(view)


@router.post(PACKAGE + "/return", summary="中国质量协会退回推荐材料包（写明理由）")
async def return_package(
    unit_id: str,
    campaign_id: str,
    body: ReturnIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
) -> PackageOut:
    async with runtime.transaction() as session:
        view = await package_service.return_package(
            session,
            actor=actor,
            unit_id=unit_id,
            campaign_id=campaign_id,
            reasons=body.reasons,
            now=now,
        )
        return _out(view)


@router.post(PACKAGE + "/accept", summary="中国质量协会接收推荐材料包")
async def accept_package(
    unit_id: str, campaign_id: str, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> PackageOut:
    async with runtime.transaction() as session:
        view = await package_service.accept_package(
            session, actor=actor, unit_id=unit_id, campaign_id=campaign_id, now=now
        )
        return _out(view)


@router.get("/packages", summary="全国看板：各推荐单位的材料包状态、名额、推荐数、最近活动")
async def national_dashboard(
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
    campaign_id: Annotated[str | None, Query(max_length=40)] = None,
) -> list[DashboardOut]:
    async with runtime.transaction() as session:
        rows = await package_service.dashboard(
            session, actor=actor, campaign_id=campaign_id, now=now
        )
        return [
            DashboardOut(**row.__dict__, status_label=STATUS_LABELS[row.status]) for row in rows
        ]


@router.post("/packages/reminders", summary="提醒尚未提交材料包的推荐单位")
async def remind_units(
    body: ReminderIn, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> ReminderOut:
    async with runtime.transaction() as session:
        reminded = await package_service.remind_units(
            session, actor=actor, campaign_id=body.campaign_id, message=body.message, now=now
        )
        return ReminderOut(reminded_unit_ids=reminded)
