"""notify's /metrics reports deliveries by status and channel, as counted in its database."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from services.notify.models import Delivery
from shared.db import create_engine
from tests.cli.conftest import forward, member_enterprise, new_campaign
from tests.support.infra import Infra
from tests.support.platform import Platform, wait_for

Counts = dict[tuple[str, str], int]


def scraped(platform: Platform) -> Counts:
    text = httpx.get(f"{platform.url('notify')}/metrics").text
    return {
        (sample.labels["status"], sample.labels["channel"]): int(sample.value)
        for family in text_string_to_metric_families(text)
        if family.name == "qcflow_notify_deliveries"
        for sample in family.samples
        if sample.value
    }


async def counted(infra: Infra) -> Counts:
    engine = create_engine(infra.database_url("notify"))
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                select(Delivery.status, Delivery.channel, func.count()).group_by(
                    Delivery.status, Delivery.channel
                )
            )
            return {(str(status), str(channel)): int(n) for status, channel, n in rows.all()}
    finally:
        await engine.dispose()


async def test_deliveries_by_status_follow_the_database(platform: Platform):
    before = Counter(await asyncio.to_thread(scraped, platform))
    member_enterprise(platform)
    member_enterprise(platform)
    campaign_id = new_campaign(platform)
    assert (await asyncio.to_thread(forward, platform, campaign_id)).exit_code == 0

    def two_more_mails_sent() -> bool:
        return scraped(platform).get(("sent", "email"), 0) >= before[("sent", "email")] + 2

    await asyncio.to_thread(wait_for, two_more_mails_sent, 60)
    truth: Counts = {}
    for _ in range(40):  # deliveries may still move; the gauge follows within one refresh
        truth = await counted(platform.infra)
        if await asyncio.to_thread(scraped, platform) == truth:
            return
        await asyncio.sleep(0.5)
    assert await asyncio.to_thread(scraped, platform) == truth
