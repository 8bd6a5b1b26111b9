"""HTTP bodies of the intake API."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
)

from shared.auth import Role
from shared.events import MemberRole, TargetKind, TopicType

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]

FIELD_LABELS = {
    "recommending_unit_name": "推荐省区市、行业",
    "enterprise_name": "企业名称",
    "group_name": "QC小组名称",
    "topic_name": "课题名称",
    "topic_type": "课题类型",
    "target_kind": "目标类型",
    "address": "详细通信地址",
    "postal_code": "邮编",
    "contact_department": "小组联系部门",
    "contact_person": "直接联系人",
    "mobile": "手机",
    "members": "小组成员名单",
    "summary": "QC小组简介和主要活动过程及效果",
    "name": "姓名",
    "role": "角色",
    "gender": "性别",
    "title": "职称",
    "department": "部门",
    "username": "用户名",
    "password": "密码",
    "confirm_certificate_line": "证书名称确认",
    "campaign_id": "活动编号",
    "year": "活动年度",
    "doc_number": "文号",
    "theme": "活动主题",
    "national_deadline_at": "全国截止时间",
    "deadline_at": "截止时间",
    "new_deadline_at": "新截止时间",
    "reason": "原因",
    "contacts": "联系人",
    "email": "电子邮箱",
    "body": "通知正文",
    "enterprise_id": "企业编号",
    "credit_code": "统一社会信用代码",
    "founded_on": "成立日期",
    "adviser": "顾问/指导者",
    "activity_frequency": "活动频次",
    "topic": "课题",
    "planned_start": "计划开始日期",
    "planned_end": "计划结束日期",
    "group_id": "小组编号",
    "topic_id": "课题编号",
    "unit_id": "推荐单位编号",
    "code": "单位代码",
    "kind": "类别",
    "unit_name": "单位名称",
    "initial_password": "初始密码",
}


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
    role: MemberRole
    gender: Annotated[str, StringConstraints(max_length=10)] = ""
    title: Annotated[str, StringConstraints(max_length=50)] = ""
    department: Annotated[str, StringConstraints(max_length=100)] = ""


class ApplicationFormIn(BaseModel):
    """附件3 申报表 fields. 推荐省区市/行业 comes from the applicant's enterprise."""

    model_config = ConfigDict(extra="forbid")

    enterprise_name: Text
    group_name: Text
    topic_name: Text
    topic_type: TopicType
    target_kind: TargetKind | None = None
    address: Text
    postal_code: Annotated[str, StringConstraints(pattern=r"^\d{6}$")]
    contact_department: Text
    contact_person: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)
    ]
    mobile: Annotated[str, StringConstraints(pattern=r"^1[3-9]\d{9}$")]
    members: list[MemberIn] = Field(min_length=1, max_length=30)
    summary: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=8000)]


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - OAuth token type, not a secret
    role: str
    name: str


class EvidenceOut(BaseModel):
    file_id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    scan_status: str = "not_scanned"


class DocumentOut(BaseModel):
    format: str
    revision: int
    size: int
    sha256: str
    download_url: str


class DecisionOut(BaseModel):
    type: str
    label: str
    comment: str
    reasons: list[dict[str, str]]
    correction_deadline_at: datetime | None
    correction_deadline_text: str | None
    revision: int


class DeliveryOut(BaseModel):
    channel: str
    recipient: str
    template: str
    status: str
    status_label: str
    reason: str
    reported_at: datetime


class ApplicationOut(BaseModel):
    application_id: uuid.UUID
    status: str
    status_label: str
    revision: int
    certificate_line: str
    form: dict[str, object]
    evidence: list[EvidenceOut]
    documents: list[DocumentOut]
    submitted_at: datetime | None
    render_error: str | None
    warnings: list[str] = []
    decision: DecisionOut | None = None
    group_registration_number: str | None = None
    topic_registration_number: str | None = None
    deliveries: list[DeliveryOut] = []


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm_certificate_line: Annotated[str, StringConstraints(max_length=500)]


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""


class CertificateLineOut(BaseModel):
    certificate_line: str
    enterprise_name: str
    group_name: str
    notice: str


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]
Mobile = Annotated[str, StringConstraints(pattern=r"^1[3-9]\d{9}$")]
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{1,38}$")]


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    email: Email
    mobile: Mobile | None = None


class CampaignIn(BaseModel):
    """The national notice (全国通知)."""

    model_config = ConfigDict(extra="forbid")

    campaign_id: Identifier
    year: int = Field(ge=2000, le=2100)
    doc_number: Text
    title: Text
    theme: Text
    national_deadline_at: AwareDatetime
    contacts: list[ContactIn] = Field(default_factory=list, max_length=10)


class CampaignOut(BaseModel):
    campaign_id: str
    year: int
    doc_number: str
    title: str
    theme: str
    national_deadline_at: datetime
    national_deadline_text: str
    contacts: list[dict[str, str]]


class ForwardIn(BaseModel):
    """A recommending unit's forwarding notice (转发通知)."""

    model_config = ConfigDict(extra="forbid")

    doc_number: Text
    title: Text
    body: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20000)] = ""
    deadline_at: AwareDatetime
    contacts: list[ContactIn] = Field(min_length=1, max_length=10)


class UnitCampaignOut(BaseModel):
    unit_id: str
    unit_name: str
    campaign: CampaignOut
    doc_number: str
    title: str
    body: str
    deadline_at: datetime
    deadline_text: str
    seconds_left: int
    contacts: list[dict[str, str]]
    forwarded_at: datetime | None
    extensions: list[dict[str, str]]


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    new_deadline_at: AwareDatetime
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class EnterpriseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enterprise_id: Identifier
    name: Text
    credit_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
    contacts: list[ContactIn] = Field(default_factory=list, max_length=10)


class EnterpriseOut(BaseModel):
    enterprise_id: str
    unit_id: str
    name: str
    credit_code: str | None
    contacts: list[dict[str, str]]


class RegisteredMemberIn(MemberIn):
    mobile: Mobile | None = None
    education: Annotated[str, StringConstraints(max_length=20)] = ""
    qc_hours: int | None = Field(default=None, ge=0, le=10000)


class TopicIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    topic_name: Text
    topic_type: TopicType
    target_kind: TargetKind | None = None
    planned_start: date | None = None
    planned_end: date | None = None
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class GroupRegistrationIn(BaseModel):
    """质量管理小组注册登记表."""

    model_config = ConfigDict(extra="forbid")

    group_name: Text
    year: int = Field(ge=2000, le=2100)
    founded_on: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")] = ""
    supervising_department: Annotated[str, StringConstraints(max_length=100)] = ""
    activity_frequency: Annotated[str, StringConstraints(max_length=50)] = ""
    members: list[RegisteredMemberIn] = Field(min_length=1, max_length=50)
    topic: TopicIn | None = None


class GroupOut(BaseModel):
    group_id: uuid.UUID
    registration_number: str
    year: int
    enterprise_id: str
    form: dict[str, object]
    topics: list[dict[str, object]]
    warnings: list[str] = []


# --- directory: recommending units and user accounts (PUT /api/units, PUT /api/users) ---------


class UnitKind(StrEnum):
    """The three kinds of addressee of the CAQ notice (forms.md), XPCC listed on its own."""

    PROVINCE = "省区市"
    SUB_PROVINCIAL_CITY = "副省级城市"
    XPCC = "新疆生产建设兵团"
    INDUSTRY = "行业协会"


def _printable(value: str) -> str:
    if any(not character.isprintable() for character in value):
        raise ValueError("含有不可见的控制字符，请删除后重试。")
    return value


def _unit_code(value: str) -> str:
    if not re.fullmatch(r"[A-Z][A-Z0-9]{0,9}", value):
        raise ValueError("须为1～10位大写字母或数字、以字母开头（用作注册号前缀，如 XZ）。")
    return value


def _email(value: str) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        raise ValueError("不是有效的电子邮箱地址，示例 name@example.com。")
    return value


def _initial_password(value: str) -> str:
    if len(value) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"至少 {MIN_PASSWORD_LENGTH} 个字符。")
    if value != value.strip():
        raise ValueError("首尾不能有空格。")
    return value


MIN_PASSWORD_LENGTH = 10
SealName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_printable),
]
PersonName = Annotated[Name, AfterValidator(_printable)]
UnitCode = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_unit_code)]
InitialPassword = Annotated[
    str, StringConstraints(max_length=200), AfterValidator(_initial_password)
]
UserEmail = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=200),
    AfterValidator(_printable),
    AfterValidator(_email),
]
OrganisationId = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=40), AfterValidator(_printable)
]


class UnitIn(BaseModel):
    """A recommending unit (推荐单位): its name as on its seal, registration prefix and kind."""

    model_config = ConfigDict(extra="forbid")

    unit_name: SealName
    code: UnitCode
    kind: UnitKind


class UnitOut(BaseModel):
    unit_id: str
    unit_name: str
    code: str | None
    kind: str | None
    is_created: bool


class UserIn(BaseModel):
    """An account. `initial_password` is set only when the account is created."""

    model_config = ConfigDict(extra="forbid")

    name: PersonName
    role: Role
    email: UserEmail
    unit_id: OrganisationId = ""
    enterprise_id: OrganisationId = ""
    initial_password: InitialPassword | None = None


class UserOut(BaseModel):
    """Never carries the password or its hash."""

    user_id: str
    username: str
    name: str
    role: str
    role_label: str
    email: str
    org_id: str
    is_created: bool
    is_password_set: bool
