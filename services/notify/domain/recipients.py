"""Who hears a notification: people with an address, each reached once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

APPLICANT = "applicant"
ENTERPRISE = "enterprise"
UNIT = "unit"
REVIEWER = "reviewer"


@dataclass(frozen=True)
class Recipient:
    kind: str
    name: str
    email: str
    user_id: str | None = None

    @property
    def address_key(self) -> str:
        return self.email.strip().lower()


def recipient_from(kind: str, contact: Mapping[str, Any] | None) -> list[Recipient]:
    """A stored contact (the event's `Contact` as JSON) as a recipient, if it has an address."""
    if not contact or not str(contact.get("email") or "").strip():
        return []
    user_id = contact.get("user_id")
    return [
        Recipient(
            kind=kind,
            name=str(contact.get("name") or ""),
            email=str(contact["email"]).strip(),
            user_id=str(user_id) if user_id else None,
        )
    ]


def deduplicate(recipients: Iterable[Recipient]) -> list[Recipient]:
    """One recipient per address (case-insensitive); the first mention decides the kind."""
    seen: dict[str, Recipient] = {}
    for recipient in recipients:
        seen.setdefault(recipient.address_key, recipient)
    return list(seen.values())
