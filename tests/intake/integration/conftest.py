"""Intake in-process on the real PostgreSQL, RabbitMQ vhost and S3 server, with its own season."""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aio_pika
import httpx
import pytest
from fastapi import FastAPI
from minio import Minio
from sqlalchemy import select

from services.intake.main import create_app
from services.intake.models import (
    Campaign,
    Enterprise,
    RecommendingUnit,
    UnitCampaign,
    User,
    messaging_tables,
)
from services.intake.service import password_hasher
from services.intake.settings import IntakeSettings
from shared.auth import Principal, Role, issue_token
from shared.events import Event
from shared.messaging.topology import EVENTS_EXCHANGE
from shared.runtime import Runtime
from tests.builders import unique
from tests.support.infra import Infra

PASSWORD = "integration-password"
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_APPLICATION_BYTES = 5 * 1024 * 1024
CHUNK_BYTES = 256 * 1024


@dataclass
class Intake:
    app: FastAPI
    client: httpx.AsyncClient
    amqp_url: str
    bucket: str
    s3: Minio

    def stored_keys(self) -> set[str]:
        return {str(o.object_name) for o in self.s3.list_objects(self.bucket, recursive=True)}

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.app.state.runtime
        return runtime

    def token(self, principal: Principal) -> dict[str, str]:
        secret = self.runtime.settings.auth_secret.get_secret_value()
        return {"Authorization": f"Bearer {issue_token(principal, secret=secret, ttl_s=3600)}"}

    async def outbox(self, event_type: str, containing: str) -> list[dict[str, Any]]:
        outbox = messaging_tables.outbox
        query = select(outbox.c.payload).where(
            outbox.c.event_type == event_type, outbox.c.payload.contains(containing)
        )
        async with self.runtime.transaction() as session:
            return [json.loads(row) for row in (await session.execute(query)).scalars()]

    async def publish(self, event: Event) -> None:
        connection = await aio_pika.connect(self.amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(EVENTS_EXCHANGE)
            await exchange.publish(
                aio_pika.Message(
                    event.model_dump_json().encode(),
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    content_type="application/json",
                ),
                routing_key=event.type,
            )


@contextlib.asynccontextmanager
async def running_intake(
    infra: Infra, vhost: str, bucket: str, tmp_path: Path, intake_settings: IntakeSettings
) -> AsyncIterator[Intake]:
    settings = infra.settings("intake", smtp_port=1, bucket=bucket, data_dir=tmp_path)
    amqp_url = infra.amqp_url(vhost=vhost)
    limits = {"max_file_bytes": MAX_FILE_BYTES, "max_application_bytes": MAX_APPLICATION_BYTES}
    app = create_app(settings.model_copy(update={"amqp_url": amqp_url, **limits}), intake_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            s3 = Minio(
                settings.s3_endpoint,
                access_key=settings.s3_access_key,
                secret_key=settings.s3_secret_key.get_secret_value(),
                secure=False,
            )
            yield Intake(app, client, amqp_url, bucket, s3)


@pytest.fixture
async def intake(infra: Infra, vhost: str, bucket: str, tmp_path: Path) -> AsyncIterator[Intake]:
    own = IntakeSettings(upload_chunk_bytes=CHUNK_BYTES)
    async with running_intake(infra, vhost, bucket, tmp_path, own) as running:
        yield running


@dataclass
class Season:
    """One unit that forwarded one campaign, one member enterprise, and their accounts."""

    campaign_id: str
    unit_id: str
    unit_code: str
    enterprise_id: str
    enterprise_name: str
    applicant: dict[str, str]
    applicant_username: str
    secretary: dict[str, str]
    national_admin: dict[str, str]
    other_applicant: dict[str, str]


async def create_season(
    intake: Intake, *, unit_deadline_in: timedelta = timedelta(days=30)
) -> Season:
    now = datetime.now(UTC)
    suffix = uuid.uuid4().hex[:8]
    campaign_id, unit_id, enterprise_id = f"c-{suffix}", f"u-{suffix}", f"e-{suffix}"
    enterprise_name = unique("西藏高原测试电力有限公司")
    unit_code = f"T{suffix[:4].upper()}"
    async with intake.runtime.transaction() as session:
        session.add(
            Campaign(
                campaign_id=campaign_id,
                year=2023,
                doc_number="中国质协字〔2023〕38号",
                title="关于开展2023年度全国质量管理小组活动推进工作的通知",
                theme="数字赋能 激发动能 提升效能",
                national_deadline_at=now + timedelta(days=60),
                contacts=[],
            )
        )
        session.add(RecommendingUnit(unit_id=unit_id, name="西藏自治区质量协会", code=unit_code))
        await session.flush()
        session.add(
            UnitCampaign(
                unit_id=unit_id,
                campaign_id=campaign_id,
                doc_number="藏质协字（2023）6号",
                deadline_at=now + unit_deadline_in,
                contacts=[{"name": "仁青平措", "email": f"sec-{suffix}@example.com"}],
            )
        )
        session.add(
            Enterprise(
                enterprise_id=enterprise_id, unit_id=unit_id, name=enterprise_name, contacts=[]
            )
        )
        await session.flush()
        applicant_username = f"applicant-{suffix}"
        session.add(
            User(
                user_id=applicant_username,
                username=applicant_username,
                name="朗杰",
                email=f"{applicant_username}@example.com",
                role=Role.APPLICANT.value,
                org_id=enterprise_id,
                password_hash=password_hasher.hash(PASSWORD),
            )
        )
    return Season(
        campaign_id=campaign_id,
        unit_id=unit_id,
        unit_code=unit_code,
        enterprise_id=enterprise_id,
        enterprise_name=enterprise_name,
        applicant=intake.token(
            Principal(applicant_username, Role.APPLICANT, enterprise_id, "朗杰")
        ),
        applicant_username=applicant_username,
        secretary=intake.token(
            Principal(f"sec-{suffix}", Role.UNIT_SECRETARY, unit_id, "仁青平措")
        ),
        national_admin=intake.token(Principal("caq-admin", Role.NATIONAL_ADMIN, "caq", "刘强")),
        other_applicant=intake.token(
            Principal(f"other-{suffix}", Role.APPLICANT, f"other-{suffix}", "李明")
        ),
    )


@pytest.fixture
async def season(intake: Intake) -> Season:
    return await create_season(intake)
