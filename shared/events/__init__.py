"""THE contract module: every message on the bus, grouped by the service that publishes it."""

from typing import Annotated

from pydantic import Field, TypeAdapter

from shared.events.base import Event, new_correlation_id
from shared.events.intake import (
    Applicant,
    ApplicationForm,
    ApplicationSubmitted,
    EvidenceFile,
    GroupMember,
    MemberRole,
    TargetKind,
    TopicType,
)
from shared.events.notify import NotificationSent
from shared.events.render import DocumentFailed, DocumentRendered, RenderedFile

AnyEvent = Annotated[
    ApplicationSubmitted | DocumentRendered | DocumentFailed | NotificationSent,
    Field(discriminator="type"),
]
EVENT_CLASSES: tuple[type[Event], ...] = (
    ApplicationSubmitted,
    DocumentRendered,
    DocumentFailed,
    NotificationSent,
)
EVENT_TYPES: tuple[str, ...] = tuple(cls.model_fields["type"].default for cls in EVENT_CLASSES)
any_event_adapter: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)

__all__ = [
    "EVENT_CLASSES",
    "EVENT_TYPES",
    "AnyEvent",
    "Applicant",
    "ApplicationForm",
    "ApplicationSubmitted",
    "DocumentFailed",
    "DocumentRendered",
    "Event",
    "EvidenceFile",
    "GroupMember",
    "MemberRole",
    "NotificationSent",
    "RenderedFile",
    "TargetKind",
    "TopicType",
    "any_event_adapter",
    "new_correlation_id",
]
