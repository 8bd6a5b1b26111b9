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


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class GroupMember(Record):
    name: str
    role: MemberRole
    gender: str = ""
    title: str = ""
    department: str = ""


class Contact(Record):
    """Someone a notification can reach."""

    name: str
    email: str
    user_id: str | None = None
    mobile: str | None = None


class ApplicationForm(Record):
    """The fields of 附件3 全国优秀质量管理小组申报表, as submitted."""

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


class EvidenceFile(Record):
    file_id: uuid.UUID
    kind: str
    filename: str
    content_type: str
    size: int
    sha256: str
    storage_key: str


class Applicant(Contact):
    user_id: str  # an applicant always has an account


class ApplicationSubmitted(Event):
    """A revision of an application reached its recommending unit (first time: revision 1)."""

    type: Literal["application.submitted"] = "application.submitted"
    application_id: uuid.UUID
    revision: int
    unit_id: str
    enterprise_id: str
    applicant: Applicant
    enterprise_contact: Contact | None = None
    unit_contact: Contact | None = None
    form: ApplicationForm
    evidence: tuple[EvidenceFile, ...]
    submitted_at: AwareDatetime
    group_registration_number: str | None = None
    topic_registration_number: str | None = None


class ApplicationResubmitted(ApplicationSubmitted):
    """A corrected revision after a return for correction."""

    type: Literal["application.resubmitted"] = "application.resubmitted"  # type: ignore[assignment]


class ApplicationWithdrawn(Event):
    type: Literal["application.withdrawn"] = "application.withdrawn"
    application_id: uuid.UUID
    unit_id: str
    enterprise_id: str
    reason: str = ""


class ApplicationDraftCreated(Event):
    """An applicant started a 申报表; it stays a draft (unseen by the unit) until submitted."""

    type: Literal["application.draft_created"] = "application.draft_created"
    application_id: uuid.UUID
    unit_id: str
    enterprise_id: str
    applicant: Applicant
    enterprise_name: str
    group_name: str
    topic_name: str = ""
    created_at: AwareDatetime


class ApplicationDraftUpdated(Event):
    """An applicant edited a draft before its first submission; the names are the edited ones."""

    type: Literal["application.draft_updated"] = "application.draft_updated"
    application_id: uuid.UUID
    unit_id: str
    enterprise_id: str
    enterprise_name: str
    group_name: str
    topic_name: str = ""
    updated_at: AwareDatetime


class ApplicationDraftWithdrawn(Event):
    """A draft was withdrawn before its first submission (after it: application.withdrawn)."""

    type: Literal["application.draft_withdrawn"] = "application.draft_withdrawn"
    application_id: uuid.UUID
    unit_id: str
    enterprise_id: str


class EvidenceStored(Event):
    type: Literal["evidence.stored"] = "evidence.stored"
    application_id: uuid.UUID
    unit_id: str
    file: EvidenceFile


class MemberEnterprise(Record):
    enterprise_id: str
    name: str
    contacts: tuple[Contact, ...] = ()


class CampaignForwarded(Event):
    """A recommending unit forwarded (转发) the national notice with its own number and deadline."""

    type: Literal["campaign.forwarded"] = "campaign.forwarded"
    unit_id: str
    unit_name: str
    campaign_year: int
    national_doc_number: str
    national_title: str
    theme: str
    national_deadline_at: AwareDatetime
    unit_doc_number: str
    title: str
    body: str
    deadline_at: AwareDatetime
    unit_contacts: tuple[Contact, ...]
    national_contacts: tuple[Contact, ...] = ()
    member_enterprises: tuple[MemberEnterprise, ...]


class CampaignDeadlineExtended(Event):
    """A recommending unit extended its own deadline (the audit row stays in intake).

    An extension only ever moves the deadline later, so the latest deadline is the current one.
    """

    type: Literal["campaign.deadline_extended"] = "campaign.deadline_extended"
    extension_id: uuid.UUID
    unit_id: str
    unit_name: str
    previous_deadline_at: AwareDatetime
    new_deadline_at: AwareDatetime
    reason: str
    extended_by: str
    extended_at: AwareDatetime


class RegisteredTopic(Record):
    topic_name: str
    registration_number: str
    topic_type: TopicType
    target_kind: TargetKind | None = None
    registered_on: str
    planned_start: str = ""
    planned_end: str = ""


class GroupRegistered(Event):
    """A QC group registered (质量管理小组注册登记表) for a year, optionally with its topic."""

    type: Literal["group.registered"] = "group.registered"
    group_id: str
    registration_number: str
    year: int
    unit_id: str
    enterprise_id: str
    enterprise_name: str
    group_name: str
    founded_on: str = ""
    registered_on: str
    leader: str
    adviser: str = ""
    members: tuple[GroupMember, ...]
    topic: RegisteredTopic | None = None
    activity_frequency: str = ""
    contact: Contact | None = None
