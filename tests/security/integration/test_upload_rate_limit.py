"""Upload rate limit: one account over its per-minute budget gets 429; other accounts do not."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.intake.settings import IntakeSettings
from shared.auth import Principal, Role
from tests.builders import pdf_bytes
from tests.intake.integration.conftest import Intake, create_season, running_intake
from tests.intake.integration.test_applications import create_draft
from tests.support.infra import Infra

PER_MINUTE = 3


@pytest.fixture
async def throttled_intake(
    infra: Infra, vhost: str, bucket: str, tmp_path: Path
) -> AsyncIterator[Intake]:
    own = IntakeSettings(upload_rate_per_minute=PER_MINUTE)
    async with running_intake(infra, vhost, bucket, tmp_path, own) as running:
        yield running


async def post_file(intake: Intake, headers: dict[str, str], application_id: object) -> int:
    response = await intake.client.post(
        f"/api/applications/{application_id}/files",
        params={"filename": "活动记录.pdf"},
        headers=headers,
        content=pdf_bytes(),
    )
    return response.status_code


async def test_uploads_over_the_limit_get_429_and_other_accounts_are_unaffected(
    throttled_intake: Intake,
):
    intake = throttled_intake
    season = await create_season(intake)
    draft = await create_draft(intake, season)
    colleague = intake.token(
        Principal("colleague-" + season.enterprise_id, Role.APPLICANT, season.enterprise_id, "卓玛")
    )
    answers = [await post_file(intake, season.applicant, draft["application_id"]) for _ in range(3)]
    assert answers == [201] * PER_MINUTE
    before = intake.stored_keys()

    refused = await intake.client.post(
        f"/api/applications/{draft['application_id']}/files",
        params={"filename": "活动记录.pdf"},
        headers=season.applicant,
        content=pdf_bytes(),
    )
    assert refused.status_code == 429, refused.text
    assert "上传过于频繁" in refused.json()["detail"]
    body = pdf_bytes()
    resumable = await intake.client.post(
        f"/api/applications/{draft['application_id']}/uploads",
        headers=season.applicant,
        json={"filename": "a.pdf", "size": len(body), "sha256": hashlib.sha256(body).hexdigest()},
    )
    assert resumable.status_code == 429, resumable.text
    assert intake.stored_keys() == before

    assert await post_file(intake, colleague, draft["application_id"]) == 201
