"""The recommending unit's package to the national office: each step reaches the unit contacts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notify.domain.recipients import UNIT, Recipient, recipient_from
from services.notify.notifications import Notification, china_time_text, queue_notification
from shared.events import PackageAccepted, PackageReminded, PackageReturned, PackageSubmitted

PackageStep = PackageSubmitted | PackageReturned | PackageAccepted | PackageReminded


def _unit_contacts(event: PackageStep) -> list[Recipient]:
    return [r for c in event.unit_contacts for r in recipient_from(UNIT, c.model_dump())]


def _context(event: PackageStep, **extra: Any) -> dict[str, Any]:  # noqa: ANN401 - template values
    return {
        "unit_name": event.unit_name,
        "campaign_year": event.campaign_year,
        "revision": event.revision,
        **extra,
    }


async def _note(
    session: AsyncSession,
    event: PackageStep,
    *,
    template: str,
    key_suffix: str,
    public_url: str,
    context: dict[str, Any],
) -> None:
    notification = Notification(
        template=template,
        key=f"{template}:{event.campaign_id or event.campaign_year}:{event.unit_id}:{key_suffix}",
        subject_id=event.unit_id,
        campaign_id=event.campaign_id,
        link=f"{public_url}/",
        context=context,
    )
    await queue_notification(session, notification, _unit_contacts(event), now=datetime.now(UTC))


async def note_package_submitted(
    session: AsyncSession, event: PackageSubmitted, *, public_url: str
) -> None:
    await _note(
        session,
        event,
        template="package_submitted",
        key_suffix=f"r{event.revision}",
        public_url=public_url,
        context=_context(event),
    )


async def note_package_returned(
    session: AsyncSession, event: PackageReturned, *, public_url: str
) -> None:
    await _note(
        session,
        event,
        template="package_returned",
        key_suffix=f"r{event.revision}",
        public_url=public_url,
        context=_context(event, reasons=list(event.reasons)),
    )


async def note_package_accepted(
    session: AsyncSession, event: PackageAccepted, *, public_url: str
) -> None:
    await _note(
        session,
        event,
        template="package_accepted",
        key_suffix=f"r{event.revision}",
        public_url=public_url,
        context=_context(event),
    )


async def note_package_reminded(
    session: AsyncSession, event: PackageReminded, *, public_url: str
) -> None:
    """Every reminder is its own notification: the office may remind more than once."""
    context = _context(
        event, deadline_text=china_time_text(event.national_deadline_at), message=event.message
    )
    await _note(
        session,
        event,
        template="package_reminded",
        key_suffix=str(event.event_id),
        public_url=public_url,
        context=context,
    )
