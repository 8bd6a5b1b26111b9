"""Builders and a client for review's tests: events as intake publishes them, tokens per role."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from services.review.models import messaging_tables
from services.review.sheets import SHEETS
from shared.auth import Principal, Role, issue_token
from shared.events import (
    Applicant,
    ApplicationForm,
    ApplicationSubmitted,
    CampaignForwarded,
    EvidenceFile,
    GroupMember,
)
from shared.runtime import Runtime
from tests.builders import application_form, unique


def submitted_event(
    *,
    unit_id: str,
    enterprise_id: str,
    application_id: uuid.UUID | None = None,
    revision: int = 1,
    topic_type: str = "问题解决型",
    campaign_id: str = "2023",
    evidence: tuple[EvidenceFile, ...] = (),
    **form_overrides: Any,
) -> ApplicationSubmitted:
    form = application_form(topic_type=topic_type, group_name=unique("雪域先锋QC小组"))
    form.update(form_overrides)
    form["members"] = [GroupMember(**m) for m in form["members"]]
    return ApplicationSubmitted(
        application_id=application_id or uuid.uuid4(),
        revision=revision,
        unit_id=unit_id,
        enterprise_id=enterprise_id,
        campaign_id=campaign_id,
        applicant=Applicant(user_id="applicant-1", name="朗杰", email="a@example.com"),
        form=ApplicationForm(recommending_unit_name="西藏自治区质量协会", **form),
        evidence=evidence,
        submitted_at=datetime.now(UTC),
    )


def evidence_file(name: str = "活动记录.pdf") -> EvidenceFile:
    return EvidenceFile(
        file_id=uuid.uuid4(),
        kind="evidence",
        filename=name,
        content_type="application/pdf",
        size=1234,
        sha256="0" * 64,
        storage_key=f"evidence/{uuid.uuid4().hex}",
    )


def campaign_forwarded(
    *,
    unit_id: str,
    deadline_at: datetime,
    national_deadline_at: datetime,
    unit_name: str = "西藏自治区质量协会",
    campaign_id: str = "2023",
) -> CampaignForwarded:
    return CampaignForwarded(
        campaign_id=campaign_id,
        unit_id=unit_id,
        unit_name=unit_name,
        campaign_year=2023,
        national_doc_number="中国质协字〔2023〕38号",
        national_title="关于开展2023年度全国质量管理小组活动推进工作的通知",
        theme="数字赋能 激发动能 提升效能",
        national_deadline_at=national_deadline_at,
        unit_doc_number="藏质协字（2023）6号",
        title="转发通知",
        body="",
        deadline_at=deadline_at,
        unit_contacts=(),
        member_enterprises=(),
    )


def in_days(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


class ReviewClient:
    """The review API as one person sees it."""

    def __init__(self, http: httpx.AsyncClient, secret: str, principal: Principal) -> None:
        self.http = http
        self.principal = principal
        token = issue_token(principal, secret=secret, ttl_s=3600)
        self.headers = {"Authorization": f"Bearer {token}"}

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, headers=self.headers, params=params)

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        return await self.http.post(path, headers=self.headers, json=body)

    async def put(self, path: str, body: Any = None) -> httpx.Response:
        return await self.http.put(path, headers=self.headers, json=body)


class People:
    """Mints a client for any role in any organisation."""

    def __init__(self, http: httpx.AsyncClient, secret: str) -> None:
        self.http = http
        self.secret = secret

    def as_(self, role: Role, org_id: str, user_id: str | None = None) -> ReviewClient:
        principal = Principal(
            user_id=user_id or unique(role.value), role=role, org_id=org_id, name=f"{role.value}"
        )
        return ReviewClient(self.http, self.secret, principal)

    def secretary(self, unit_id: str) -> ReviewClient:
        return self.as_(Role.UNIT_SECRETARY, unit_id)

    def national(self) -> ReviewClient:
        return self.as_(Role.NATIONAL_SECRETARY, "caq")


async def outbox_events(
    runtime: Runtime, event_type: str, application_id: uuid.UUID | str
) -> list[dict[str, Any]]:
    payloads = await outbox_payloads(runtime, event_type)
    return [p for p in payloads if p.get("application_id") == str(application_id)]


async def outbox_payloads(runtime: Runtime, event_type: str) -> list[dict[str, Any]]:
    outbox = messaging_tables.outbox
    async with runtime.transaction() as session:
        rows = await session.execute(
            select(outbox.c.payload)
            .where(outbox.c.event_type == event_type)
            .order_by(outbox.c.created_at)
        )
        return [json.loads(payload) for payload in rows.scalars()]


def marks_for(total: str, sheet_id: str = "problem_solving.v1") -> dict[str, str]:
    """Marks on the sheet adding up to `total`, filling criteria in order."""
    remaining = Decimal(total)
    marks: dict[str, str] = {}
    for criterion in SHEETS[sheet_id].criteria:
        mark = min(criterion.maximum, remaining)
        marks[criterion.code] = str(mark)
        remaining -= mark
    return marks
