"""THE contract module: every message on the bus, grouped by the service that publishes it."""

from typing import Annotated, get_args

from pydantic import Field, TypeAdapter

from shared.correlation import new_correlation_id
from shared.events.base import Event
from shared.events.intake import (
    Applicant,
    ApplicationDraftCreated,
    ApplicationDraftUpdated,
    ApplicationDraftWithdrawn,
    ApplicationForm,
    ApplicationResubmitted,
    ApplicationSubmitted,
    ApplicationWithdrawn,
    CampaignDeadlineExtended,
    CampaignForwarded,
    Contact,
    EvidenceFile,
    EvidenceStored,
    GroupMember,
    GroupRegistered,
    MemberEnterprise,
    MemberRole,
    RegisteredTopic,
    TargetKind,
    TopicType,
)
from shared.events.notify import NotificationFailed, NotificationSent
from shared.events.render import DocumentFailed, DocumentRendered, RenderedFile
from shared.events.review import (
    ApplicationAccepted,
    ApplicationAwarded,
    ApplicationDisqualified,
    ApplicationNotAwarded,
    ApplicationRecommended,
    ApplicationRejected,
    ApplicationReturned,
    ApplicationScored,
    AssignmentCompleted,
    PackageAccepted,
    PackageReminded,
    PackageReturned,
    PackageSubmitted,
    ReviewerAssigned,
    ScreeningReason,
    TableRequested,
    UnitDisqualified,
)

AnyEvent = Annotated[
    ApplicationSubmitted
    | ApplicationResubmitted
    | ApplicationWithdrawn
    | ApplicationDraftCreated
    | ApplicationDraftUpdated
    | ApplicationDraftWithdrawn
    | EvidenceStored
    | CampaignForwarded
    | CampaignDeadlineExtended
    | GroupRegistered
    | ApplicationAccepted
    | ApplicationReturned
    | ApplicationRejected
    | ApplicationScored
    | ApplicationRecommended
    | ApplicationAwarded
    | ApplicationNotAwarded
    | ApplicationDisqualified
    | UnitDisqualified
    | ReviewerAssigned
    | AssignmentCompleted
    | TableRequested
    | PackageSubmitted
    | PackageReturned
    | PackageAccepted
    | PackageReminded
    | DocumentRendered
    | DocumentFailed
    | NotificationSent
    | NotificationFailed,
    Field(discriminator="type"),
]
EVENT_CLASSES: tuple[type[Event], ...] = get_args(get_args(AnyEvent)[0])
EVENT_TYPES: tuple[str, ...] = tuple(cls.model_fields["type"].default for cls in EVENT_CLASSES)
any_event_adapter: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)

__all__ = [
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "AnyEvent",
    "Applicant",
    "ApplicationAccepted",
    "ApplicationAwarded",
    "ApplicationDisqualified",
    "ApplicationDraftCreated",
    "ApplicationDraftUpdated",
    "ApplicationDraftWithdrawn",
    "ApplicationForm",
    "ApplicationNotAwarded",
    "ApplicationRecommended",
    "ApplicationRejected",
    "ApplicationResubmitted",
    "ApplicationReturned",
    "ApplicationScored",
    "ApplicationSubmitted",
    "ApplicationWithdrawn",
    "AssignmentCompleted",
    "CampaignDeadlineExtended",
    "CampaignForwarded",
    "Contact",
    "DocumentFailed",
    "DocumentRendered",
    "Event",
    "EvidenceFile",
    "EvidenceStored",
    "GroupMember",
    "GroupRegistered",
    "MemberEnterprise",
    "MemberRole",
    "NotificationFailed",
    "NotificationSent",
    "PackageAccepted",
    "PackageReminded",
    "PackageReturned",
    "PackageSubmitted",
    "RegisteredTopic",
    "RenderedFile",
    "ReviewerAssigned",
    "ScreeningReason",
    "TableRequested",
    "TargetKind",
    "TopicType",
    "UnitDisqualified",
    "any_event_adapter",
    "new_correlation_id",
]
