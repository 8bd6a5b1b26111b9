"""HTTP bodies of the intake API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

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

    @model_validator(mode="after")
    def _target_kind_only_for_problem_solving(self) -> ApplicationFormIn:
        if self.topic_type is TopicType.INNOVATION and self.target_kind is not None:
            raise ValueError("创新型课题不区分自定目标/指令性目标，请去掉目标类型。")
        return self


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


class DocumentOut(BaseModel):
    format: str
    revision: int
    size: int
    sha256: str
    download_url: str


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
