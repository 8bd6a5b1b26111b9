"""HTTP bodies of the review API."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.review.domain.awards import AwardDecision
from services.review.domain.scoring import AggregationRule
from services.review.domain.screening import ScreeningOutcome
from shared.events.review import TableKind

FIELD_LABELS: dict[str, str] = {
    "outcome": "审查结论",
    "reasons": "审查原因",
    "code": "原因代码",
    "note": "说明",
    "correction_deadline_at": "修改截止时间",
    "comment": "意见",
    "user_id": "专家账号",
    "name": "姓名",
    "email": "电子邮箱",
    "enterprise_id": "专家所在企业",
    "conflict_enterprise_ids": "利益冲突企业",
    "reviewer_user_id": "评审专家",
    "sheet_id": "评分表",
    "per_entry": "每条申报的评审专家人数",
    "application_ids": "申报",
    "marks": "评分",
    "comments": "评语",
    "reason": "理由",
    "rule": "汇总规则",
    "spread_threshold": "分差预警阈值",
    "quota": "名额",
    "national_deadline_at": "新的截止时间",
    "justification": "超名额说明",
    "approve": "是否批准",
    "decisions": "评审决定",
    "decision": "决定",
    "upheld": "异议是否成立",
    "resolution": "处理意见",
    "awarded": "是否获评",
    "public_notice_until": "公示截止时间",
    "text": "异议内容",
    "raised_by": "异议人",
    "table_kind": "表格类型",
    "statistics": "统计数据",
    "header": "表头",
    "footer": "表尾",
    "campaign_id": "活动年度",
    "application_id": "申报编号",
    "assignment_id": "评审任务编号",
}


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    application_id: uuid.UUID
    revision: int
    unit_id: str
    enterprise_id: str
    enterprise_name: str
    group_name: str
    topic_name: str
    topic_type: str
    status: str
    evidence_count: int
    submitted_at: datetime
    unit_score: str | None
    national_score: str | None
    rank: int | None
    over_quota: bool
    certificate_serial: str | None


class RevisionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    revision: int
    event_type: str
    form: dict[str, Any]
    evidence: list[dict[str, Any]]
    submitted_at: datetime


class FileOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    file_id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: datetime
    actor_id: str
    actor_role: str
    actor_name: str
    unit_id: str
    application_id: uuid.UUID | None
    action: str
    reason: str
    detail: dict[str, Any]


class ReasonIn(Strict):
    code: str = Field(min_length=1, max_length=40)
    note: str = Field(default="", max_length=500)


class ScreeningIn(Strict):
    outcome: ScreeningOutcome
    reasons: list[ReasonIn] = Field(default_factory=list, max_length=20)
    correction_deadline_at: AwareDatetime | None = None
    comment: str = Field(default="", max_length=2000)


class ReasonOut(BaseModel):
    code: str
    label: str


class ReviewerIn(Strict):
    user_id: str = Field(min_length=1, max_length=80)
    name: str = Field(min_length=1, max_length=100)
    email: str = Field(min_length=3, max_length=200, pattern=r"^[^@\s]+@[^@\s]+$")
    enterprise_id: str = Field(min_length=1, max_length=40)
    conflict_enterprise_ids: list[str] = Field(default_factory=list, max_length=200)


class ReviewerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pool_id: str
    user_id: str
    name: str
    email: str
    enterprise_id: str
    conflict_enterprise_ids: list[str]


class AssignIn(Strict):
    reviewer_user_id: str = Field(min_length=1, max_length=80)
    sheet_id: str | None = Field(default=None, max_length=60)


class AutoAssignIn(Strict):
    per_entry: int = Field(ge=1, le=15)
    application_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    assignment_id: uuid.UUID
    application_id: uuid.UUID
    level: str
    reviewer_user_id: str
    sheet_id: str
    status: str
    marks: dict[str, str]
    comments: dict[str, str]
    total: str | None
    recusal_reason: str


class ScoresIn(Strict):
    marks: dict[str, str | float] = Field(max_length=40)
    comments: dict[str, str] = Field(default_factory=dict)


class RecusalIn(Strict):
    reason: str = Field(min_length=1, max_length=1000)


class AggregateIn(Strict):
    rule: AggregationRule = AggregationRule.TRIMMED_MEAN
    spread_threshold: Decimal = Field(default=Decimal(20), ge=0, le=100)


class AggregateOut(BaseModel):
    application_id: uuid.UUID
    final_score: str
    score_count: int
    method: str
    spread: str
    spread_alert: bool
    totals: dict[str, str]


class CriterionOut(BaseModel):
    code: str
    label: str
    maximum: str


class SheetOut(BaseModel):
    sheet_id: str
    title: str
    version: int
    topic_types: list[str]
    maximum: str
    criteria: list[CriterionOut]


class UnitOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    unit_id: str
    campaign_id: str
    unit_name: str
    campaign_year: int
    deadline_at: datetime
    national_deadline_at: datetime
    quota: int | None
    disqualified_reason: str | None


class QuotaIn(Strict):
    quota: int = Field(ge=0, le=10000)


class ExtensionIn(Strict):
    national_deadline_at: AwareDatetime
    reason: str = Field(min_length=1, max_length=2000)


class RecommendIn(Strict):
    application_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)
    justification: str = Field(default="", max_length=4000)


class ApprovalIn(Strict):
    approve: bool
    reason: str = Field(default="", max_length=2000)


class AwardDecisionIn(Strict):
    application_id: uuid.UUID
    decision: AwardDecision


class AwardsIn(Strict):
    decisions: list[AwardDecisionIn] = Field(min_length=1, max_length=5000)
    comment: str = Field(default="", max_length=2000)
    public_notice_until: AwareDatetime | None = None


class FinaliseIn(Strict):
    application_ids: list[uuid.UUID] = Field(min_length=1, max_length=5000)


class ObjectionIn(Strict):
    raised_by: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=4000)


class ObjectionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    objection_id: uuid.UUID
    application_id: uuid.UUID
    raised_by: str
    text: str
    raised_at: datetime
    resolution: str | None


class ResolutionIn(Strict):
    upheld: bool
    resolution: str = Field(min_length=1, max_length=2000)


class DisqualifyIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class TableIn(Strict):
    table_kind: TableKind
    campaign_id: str = Field(min_length=1, max_length=40)
    header: dict[str, str] = Field(default_factory=dict, max_length=10)
    footer: dict[str, str] = Field(default_factory=dict, max_length=10)
    statistics: list[dict[str, str]] = Field(default_factory=list, max_length=2000)


class TableOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    request_id: str
    unit_id: str
    campaign_id: str
    table_kind: str
    requested_at: datetime
    files: list[dict[str, Any]]
    failure: str | None
