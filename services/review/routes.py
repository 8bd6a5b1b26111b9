"""The reviewer API: thin routes, one use case each."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response, StreamingResponse

from services.review import service
from services.review.domain.screening import REASONS
from services.review.exports import scores_csv, scores_xlsx
from services.review.schemas import (
    AggregateIn,
    AggregateOut,
    ApprovalIn,
    AssignIn,
    AssignmentOut,
    AuditOut,
    AutoAssignIn,
    AwardsIn,
    CriterionOut,
    DisqualifyIn,
    EntryOut,
    ExtensionIn,
    FileOut,
    FinaliseIn,
    ObjectionIn,
    ObjectionOut,
    QuotaIn,
    ReasonOut,
    RecommendIn,
    RecusalIn,
    ResolutionIn,
    ReviewerIn,
    ReviewerOut,
    RevisionOut,
    ScoresIn,
    ScreeningIn,
    SheetOut,
    TableIn,
    TableOut,
    UnitOut,
)
from services.review.sheets import SHEETS
from shared.http import CurrentPrincipal, Now, RuntimeDep

router = APIRouter(prefix="/api", tags=["评审"])
Filter = Annotated[str | None, Query(max_length=40)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLE_TITLES = {
    "recommendation": "全国优秀质量管理小组推荐表",
    "review_summary": "质量管理小组成果评审汇总表",
    "activity_statistics": "质量管理小组活动统计表",
}


@router.get("/entries", summary="我可以查看的申报（推荐单位：本单位；全国：已推荐；专家：已分配）")
async def list_entries(
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    status: Filter = None,
    topic_type: Filter = None,
    unit_id: Filter = None,
) -> list[EntryOut]:
    filters = service.EntryFilter(status=status, topic_type=topic_type, unit_id=unit_id)
    async with runtime.transaction() as session:
        entries = await service.list_entries(session, actor=actor, filters=filters)
        return [EntryOut.model_validate(entry) for entry in entries]


@router.get("/entries/{application_id}", summary="一条申报")
async def get_entry(
    application_id: uuid.UUID, actor: CurrentPrincipal, runtime: RuntimeDep
) -> EntryOut:
    async with runtime.transaction() as session:
        entry = await service.get_entry(session, actor=actor, application_id=application_id)
        return EntryOut.model_validate(entry)


@router.get("/entries/{application_id}/revisions", summary="该申报的各次提交版本")
async def list_revisions(
    application_id: uuid.UUID, actor: CurrentPrincipal, runtime: RuntimeDep
) -> list[RevisionOut]:
    async with runtime.transaction() as session:
        rows = await service.list_revisions(session, actor=actor, application_id=application_id)
        return [RevisionOut.model_validate(row) for row in rows]


@router.get("/entries/{application_id}/files", summary="该申报的证实性材料")
async def list_files(
    application_id: uuid.UUID, actor: CurrentPrincipal, runtime: RuntimeDep
) -> list[FileOut]:
    async with runtime.transaction() as session:
        rows = await service.list_files(session, actor=actor, application_id=application_id)
        return [FileOut.model_validate(row) for row in rows]


@router.get("/entries/{application_id}/files/{file_id}", summary="下载材料或生成的申报表")
async def download_file(
    application_id: uuid.UUID, file_id: uuid.UUID, actor: CurrentPrincipal, runtime: RuntimeDep
) -> StreamingResponse:
    async with runtime.transaction() as session:
        file = await service.entry_file(
            session, actor=actor, application_id=application_id, file_id=file_id
        )
    return StreamingResponse(
        runtime.store.iter_chunks(file.storage_key),
        media_type=file.content_type,
        headers=attachment_headers(file.filename),
    )


@router.get("/audit", summary="审计记录（谁、何时、做了什么、为什么）")
async def read_audit_log(
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    unit_id: Filter = None,
    application_id: uuid.UUID | None = None,
) -> list[AuditOut]:
    async with runtime.transaction() as session:
        rows = await service.read_audit_log(
            session, actor=actor, unit_id=unit_id, application_id=application_id
        )
        return [AuditOut.model_validate(row) for row in rows]


@router.get("/screening/reasons", summary="形式审查清单")
async def screening_reasons(_actor: CurrentPrincipal) -> list[ReasonOut]:
    return [ReasonOut(code=code, label=label) for code, label in REASONS.items()]


@router.post("/entries/{application_id}/screening", summary="形式审查：受理、退回修改或不予受理")
async def screen_entry(
    application_id: uuid.UUID,
    body: ScreeningIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
) -> EntryOut:
    decision = service.ScreeningDecision(
        outcome=body.outcome,
        reasons=[(reason.code, reason.note) for reason in body.reasons],
        correction_deadline_at=body.correction_deadline_at,
        comment=body.comment,
    )
    async with runtime.transaction() as session:
        entry = await service.screen_entry(
            session, actor=actor, application_id=application_id, decision=decision, now=now
        )
        return EntryOut.model_validate(entry)


@router.get("/score-sheets", summary="评分表（版本化数据）")
async def list_score_sheets(_actor: CurrentPrincipal) -> list[SheetOut]:
    return [
        SheetOut(
            sheet_id=sheet.sheet_id,
            title=sheet.title,
            version=sheet.version,
            topic_types=list(sheet.topic_types),
            maximum=str(sheet.maximum),
            criteria=[
                CriterionOut(code=c.code, label=c.label, maximum=str(c.maximum))
                for c in sheet.criteria
            ],
        )
        for sheet in SHEETS.values()
    ]


@router.get("/reviewers", summary="本单位（或全国）专家库")
async def list_reviewers(actor: CurrentPrincipal, runtime: RuntimeDep) -> list[ReviewerOut]:
    async with runtime.transaction() as session:
        rows = await service.list_reviewers(session, actor=actor)
        return [ReviewerOut.model_validate(row) for row in rows]


@router.put("/reviewers", summary="添加或更新专家（所在企业、申报的利益冲突）")
async def save_reviewer(
    body: ReviewerIn, actor: CurrentPrincipal, runtime: RuntimeDep
) -> ReviewerOut:
    reviewer = service.ReviewerInput(**body.model_dump())
    async with runtime.transaction() as session:
        row = await service.save_reviewer(session, actor=actor, reviewer=reviewer)
        return ReviewerOut.model_validate(row)


@router.post("/entries/{application_id}/assignments", status_code=201, summary="手动分配专家")
async def assign_reviewer(
    application_id: uuid.UUID,
    body: AssignIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
) -> AssignmentOut:
    async with runtime.transaction() as session:
        row = await service.assign_reviewer(
            session,
            actor=actor,
            application_id=application_id,
            reviewer_user_id=body.reviewer_user_id,
            sheet_id=body.sheet_id,
            now=now,
        )
        return AssignmentOut.model_validate(row)


@router.post("/assignments/auto", status_code=201, summary="自动分配专家（负载均衡、回避冲突）")
async def assign_automatically(
    body: AutoAssignIn, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> list[AssignmentOut]:
    async with runtime.transaction() as session:
        rows = await service.assign_automatically(
            session,
            actor=actor,
            per_entry=body.per_entry,
            application_ids=body.application_ids,
            now=now,
        )
        return [AssignmentOut.model_validate(row) for row in rows]


@router.get("/assignments", summary="评审任务（专家：我的任务；秘书处：本库的任务）")
async def list_assignments(
    actor: CurrentPrincipal, runtime: RuntimeDep, application_id: uuid.UUID | None = None
) -> list[AssignmentOut]:
    async with runtime.transaction() as session:
        rows = await service.list_assignments(session, actor=actor, application_id=application_id)
        return [AssignmentOut.model_validate(row) for row in rows]


@router.post("/assignments/{assignment_id}/scores", summary="提交评分（逐项打分和评语）")
async def submit_scores(
    assignment_id: uuid.UUID,
    body: ScoresIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
) -> AssignmentOut:
    async with runtime.transaction() as session:
        row = await service.submit_scores(
            session,
            actor=actor,
            assignment_id=assignment_id,
            marks=dict(body.marks),
            comments=body.comments,
            now=now,
        )
        return AssignmentOut.model_validate(row)


@router.post("/assignments/{assignment_id}/recusal", summary="回避")
async def recuse(
    assignment_id: uuid.UUID, body: RecusalIn, actor: CurrentPrincipal, runtime: RuntimeDep
) -> AssignmentOut:
    async with runtime.transaction() as session:
        row = await service.recuse(
            session, actor=actor, assignment_id=assignment_id, reason=body.reason
        )
        return AssignmentOut.model_validate(row)


@router.post("/entries/{application_id}/aggregate", summary="汇总本轮评分")
async def aggregate_round(
    application_id: uuid.UUID, body: AggregateIn, actor: CurrentPrincipal, runtime: RuntimeDep
) -> AggregateOut:
    async with runtime.transaction() as session:
        result = await service.aggregate_round(
            session,
            actor=actor,
            application_id=application_id,
            rule=body.rule,
            spread_threshold=body.spread_threshold,
        )
        return AggregateOut(
            application_id=application_id,
            final_score=str(result.aggregate.final_score),
            score_count=result.aggregate.score_count,
            method=result.aggregate.method,
            spread=str(result.aggregate.spread),
            spread_alert=result.aggregate.is_spread_alert,
            totals={user: str(total) for user, total in result.totals.items()},
        )


@router.get("/units", summary="推荐单位：截止时间、名额、推荐资格")
async def list_units(actor: CurrentPrincipal, runtime: RuntimeDep) -> list[UnitOut]:
    async with runtime.transaction() as session:
        return [UnitOut.model_validate(u) for u in await service.list_units(session, actor=actor)]


@router.put("/units/{unit_id}/campaigns/{campaign_id}/quota", summary="下达推荐名额（全国）")
async def set_quota(
    unit_id: str, campaign_id: str, body: QuotaIn, actor: CurrentPrincipal, runtime: RuntimeDep
) -> UnitOut:
    async with runtime.transaction() as session:
        unit = await service.set_quota(
            session, actor=actor, unit_id=unit_id, campaign_id=campaign_id, quota=body.quota
        )
        return UnitOut.model_validate(unit)


@router.put(
    "/units/{unit_id}/campaigns/{campaign_id}/national-deadline",
    summary="延长某推荐单位的全国推荐截止时间（全国，记入审计）",
)
async def extend_national_deadline(
    unit_id: str, campaign_id: str, body: ExtensionIn, actor: CurrentPrincipal, runtime: RuntimeDep
) -> UnitOut:
    async with runtime.transaction() as session:
        unit = await service.extend_national_deadline(
            session,
            actor=actor,
            unit_id=unit_id,
            campaign_id=campaign_id,
            deadline_at=body.national_deadline_at,
            reason=body.reason,
        )
        return UnitOut.model_validate(unit)


@router.post("/recommendations", summary="向全国推荐（名额内；超名额须书面说明并经批准）")
async def recommend(
    body: RecommendIn, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> list[EntryOut]:
    async with runtime.transaction() as session:
        entries = await service.recommend(
            session,
            actor=actor,
            application_ids=body.application_ids,
            justification=body.justification,
            now=now,
        )
        return [EntryOut.model_validate(entry) for entry in entries]


@router.post("/recommendations/{application_id}/approval", summary="审批超名额推荐（全国）")
async def decide_over_quota(
    application_id: uuid.UUID, body: ApprovalIn, actor: CurrentPrincipal, runtime: RuntimeDep
) -> EntryOut:
    async with runtime.transaction() as session:
        entry = await service.decide_over_quota(
            session,
            actor=actor,
            application_id=application_id,
            approve=body.approve,
            reason=body.reason,
        )
        return EntryOut.model_validate(entry)


@router.post("/awards", summary="批量作出全国评审决定（可设公示期）")
async def decide_awards(
    body: AwardsIn, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> list[EntryOut]:
    decisions = [(d.application_id, d.decision) for d in body.decisions]
    async with runtime.transaction() as session:
        entries = await service.decide_awards(
            session,
            actor=actor,
            decisions=decisions,
            comment=body.comment,
            public_notice_until=body.public_notice_until,
            now=now,
        )
        return [EntryOut.model_validate(entry) for entry in entries]


@router.post("/awards/finalise", summary="公示期满，确定结果")
async def finalise_awards(
    body: FinaliseIn, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> list[EntryOut]:
    async with runtime.transaction() as session:
        entries = await service.finalise_awards(
            session, actor=actor, application_ids=body.application_ids, now=now
        )
        return [EntryOut.model_validate(entry) for entry in entries]


@router.post("/entries/{application_id}/objections", status_code=201, summary="登记公示期异议")
async def raise_objection(
    application_id: uuid.UUID,
    body: ObjectionIn,
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    now: Now,
) -> ObjectionOut:
    async with runtime.transaction() as session:
        objection = await service.raise_objection(
            session,
            actor=actor,
            application_id=application_id,
            raised_by=body.raised_by,
            text=body.text,
            now=now,
        )
        return ObjectionOut.model_validate(objection)


@router.post("/objections/{objection_id}/resolution", summary="处理异议")
async def resolve_objection(
    objection_id: uuid.UUID, body: ResolutionIn, actor: CurrentPrincipal, runtime: RuntimeDep
) -> ObjectionOut:
    async with runtime.transaction() as session:
        objection = await service.resolve_objection(
            session,
            actor=actor,
            objection_id=objection_id,
            upheld=body.upheld,
            resolution=body.resolution,
        )
        return ObjectionOut.model_validate(objection)


@router.post("/units/{unit_id}/campaigns/{campaign_id}/disqualification", summary="取消推荐资格")
async def disqualify_unit(
    unit_id: str, campaign_id: str, body: DisqualifyIn, actor: CurrentPrincipal, runtime: RuntimeDep
) -> list[EntryOut]:
    async with runtime.transaction() as session:
        entries = await service.disqualify_unit(
            session, actor=actor, unit_id=unit_id, campaign_id=campaign_id, reason=body.reason
        )
        return [EntryOut.model_validate(entry) for entry in entries]


@router.post("/tables", status_code=202, summary="生成推荐表、成果评审汇总表或活动统计表")
async def request_table(
    body: TableIn, actor: CurrentPrincipal, runtime: RuntimeDep, now: Now
) -> TableOut:
    request = service.TableRequest(**body.model_dump())
    async with runtime.transaction() as session:
        row = await service.request_table(session, actor=actor, request=request, now=now)
        return TableOut.model_validate(row)


@router.get("/tables", summary="已生成的表格")
async def list_tables(actor: CurrentPrincipal, runtime: RuntimeDep) -> list[TableOut]:
    async with runtime.transaction() as session:
        return [TableOut.model_validate(t) for t in await service.list_tables(session, actor=actor)]


@router.get("/tables/{request_id}/{file_format}", summary="下载表格文件")
async def download_table(
    request_id: str,
    file_format: Literal["docx", "pdf", "xlsx"],
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
) -> StreamingResponse:
    async with runtime.transaction() as session:
        table, file = await service.table_file(
            session, actor=actor, request_id=request_id, file_format=file_format
        )
    filename = f"{TABLE_TITLES[table.table_kind]}-{table.campaign_id}.{file_format}"
    return StreamingResponse(
        runtime.store.iter_chunks(str(file["storage_key"])),
        media_type=str(file["content_type"]),
        headers=attachment_headers(filename),
    )


@router.get("/exports/scores.{file_format}", summary="导出各专家逐项评分（xlsx 或 csv）")
async def export_scores(
    file_format: Literal["xlsx", "csv"],
    actor: CurrentPrincipal,
    runtime: RuntimeDep,
    campaign_id: Filter = None,
) -> Response:
    async with runtime.transaction() as session:
        rows = await service.score_export_rows(session, actor=actor, campaign_id=campaign_id)
    content, media_type = (
        (scores_xlsx(rows), XLSX) if file_format == "xlsx" else (scores_csv(rows), "text/csv")
    )
    return Response(
        content, media_type=media_type, headers=attachment_headers(f"评分明细.{file_format}")
    )


def attachment_headers(filename: str) -> dict[str, str]:
    return {
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}",
        "X-Content-Type-Options": "nosniff",
    }
