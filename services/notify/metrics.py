"""Deliveries by status as a Prometheus gauge, refreshed by a small background job."""

from __future__ import annotations

import asyncio
import logging

from prometheus_client import Gauge
from sqlalchemy import func, select

from services.notify.models import Delivery
from shared.cancellation import cancel_requested
from shared.runtime import Runtime

log = logging.getLogger(__name__)

REFRESH_INTERVAL_S = 5.0


class DeliveryMetrics:
    def __init__(self, runtime: Runtime, *, interval_s: float = REFRESH_INTERVAL_S) -> None:
        self._runtime = runtime
        self._interval_s = interval_s
        self.deliveries = Gauge(
            "qcflow_notify_deliveries",
            "Notification deliveries by status and channel",
            ["status", "channel"],
            registry=runtime.metrics.registry,
        )

    async def refresh(self) -> None:
        async with self._runtime.transaction() as session:
            rows = await session.execute(
                select(Delivery.status, Delivery.channel, func.count()).group_by(
                    Delivery.status, Delivery.channel
                )
            )
            counts = {(str(status), str(channel)): int(n) for status, channel, n in rows.all()}
        # Statuses that dropped to zero must read 0, not keep their last value.
        for labels in self.deliveries._metrics:  # noqa: SLF001 - prometheus_client exposes no label listing
            if labels not in counts:
                self.deliveries.labels(*labels).set(0)
        for (status, channel), count in counts.items():
            self.deliveries.labels(status, channel).set(count)

    async def run(self) -> None:
        while not cancel_requested():
            try:
                await self.refresh()
            except Exception:
                log.exception("refreshing delivery metrics failed; retrying")
            await asyncio.sleep(self._interval_s)
