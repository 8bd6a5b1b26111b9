"""Events published by intake."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from shared.events.base import Event


class TopicType(StrEnum):
    PROBLEM_SOLVING = "问题解决型"
    INNOVATION = "创新型"


class TargetKind(StrEnum):
    SELF_SET = "自定目标"
    DIRECTIVE = "指令性目标"


class MemberRole(StrEnum):
    LEADER = "组长"
    MEMBER = "成员"
    ADVISER = "顾问"


class GroupMember(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    name: str
    role: MemberRole
    gender: str = ""
    title: str = ""
    department: str = ""


class ApplicationForm(BaseModel):
    """The fields of 附件3 全国优秀质量管理小组申报表, as submitted."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    recommending_unit_name: str
    enterprise_name: str
    group_name: str
    topic_name: str
    topic_type: TopicType
    target_kind: TargetKind | None = None
    address: str
    postal_code: str
    contact_department: str
    contact_person: str
    mobile: str
    members: tuple[GroupMember, ...]
    summary: str

    @property
    def certificate_line(self) -> str:
        return f"{self.enterprise_name} {self.group_name}"


class EvidenceFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    file_id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str


class Applicant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    user_id: str
    name: str
    email: str


class ApplicationSubmitted(Event):
    type: Literal["application.submitted"] = "application.submitted"
    application_id: uuid.UUID
    revision: int
    unit_id: str
    enterprise_id: str
    applicant: Applicant
    form: ApplicationForm
    evidence: tuple[EvidenceFile, ...]
    submitted_at: AwareDatetime
