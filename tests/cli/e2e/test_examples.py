"""The integrator examples of docs/integrators.md against the platform as real processes."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.cli.conftest import (
    NATIONAL_ADMIN,
    Lines,
    forward,
    login,
    member_enterprise,
    new_campaign,
    start_example,
)
from tests.support.platform import Platform
from tests.support.proxy import free_port


@pytest.fixture
def webhook_receiver(platform: Platform) -> Iterator[tuple[Lines, str, str]]:
    """The example receiver, registered at notify for campaign_forwarded; disabled afterwards."""
    admin = login(platform, NATIONAL_ADMIN)
    port = free_port()
    url = f"http://127.0.0.1:{port}/qcflow"
    created = httpx.post(
        f"{platform.url('notify')}/api/admin/webhooks",
        headers=admin,
        json={"url": url, "event_types": ["campaign_forwarded"]},
    )
    assert created.status_code == 201, created.text
    hook = created.json()
    lines = start_example(
        "verify_webhook.py", "--port", str(port), env={"QCFLOW_WEBHOOK_SECRETS": hook["secret"]}
    )
    yield lines, url, hook["webhook_id"]
    lines.stop()
    httpx.patch(
        f"{platform.url('notify')}/api/admin/webhooks/{hook['webhook_id']}",
        headers=admin,
        json={"enabled": False},
    ).raise_for_status()


def wait_listening(url: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
        else:
            return
    raise TimeoutError(url)


def test_webhook_example_verifies_a_real_delivery(
    platform: Platform, webhook_receiver: tuple[Lines, str, str]
):
    lines, url, webhook_id = webhook_receiver
    wait_listening(url)
    forged = httpx.post(
        url,
        content=b'{"delivery_id": "x", "type": "campaign_forwarded"}',
        headers={"X-Qcflow-Signature": f"t={int(time.time())},v1={'0' * 64}"},
    )
    assert forged.status_code == 401

    member_enterprise(platform)
    campaign_id = new_campaign(platform)
    assert forward(platform, campaign_id).exit_code == 0
    verified = lines.next_matching("campaign_id", campaign_id, timeout_s=60)
    assert verified["verified"] is True
    assert verified["type"] == "campaign_forwarded"

    # Rotation: the receiver still holds only the old secret; during the grace period each
    # request carries a second v1 signed with it, so the receiver keeps verifying.
    rotated = httpx.post(
        f"{platform.url('notify')}/api/admin/webhooks/{webhook_id}/rotate-secret",
        headers=login(platform, NATIONAL_ADMIN),
        json={"grace_seconds": 3600},
    )
    assert rotated.status_code == 200, rotated.text
    assert rotated.json()["previous_secret_valid_until"]
    after_rotation = new_campaign(platform)
    assert forward(platform, after_rotation).exit_code == 0
    assert lines.next_matching("campaign_id", after_rotation, timeout_s=60)["verified"] is True


def test_amqp_example_consumes_from_its_own_queue(platform: Platform):
    consumer = start_example(
        "consume_notifications.py",
        "--url",
        platform.infra.amqp_url(),
        "--queue",
        f"integrator-{uuid.uuid4().hex[:8]}",
        "--bind",
        "campaign_forwarded.*",
    )
    try:
        consumer.next_matching("ready", value=True, timeout_s=30)
        enterprise_id = member_enterprise(platform)
        campaign_id = new_campaign(platform)
        assert forward(platform, campaign_id).exit_code == 0
        received = consumer.next_matching("campaign_id", campaign_id, timeout_s=60)
        while received["recipient"]["email"] != f"{enterprise_id}@example.com":
            received = consumer.next_matching("campaign_id", campaign_id, timeout_s=60)
        assert received["template"] == "campaign_forwarded"
        assert received["routing_key"] == "campaign_forwarded.enterprise"
        assert received["subject"]
    finally:
        consumer.stop()
