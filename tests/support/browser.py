"""Debian's chromium under Playwright, and publishing events from a browser test's thread."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import aio_pika
from playwright.sync_api import Browser, sync_playwright

from shared.events import Event
from shared.messaging.topology import EVENTS_EXCHANGE

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def publish_events(amqp_url: str, *events: Event) -> None:
    """Publish to the events exchange as the other services would (routing key = type)."""

    async def send() -> None:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            exchange = await channel.get_exchange(EVENTS_EXCHANGE)
            for event in events:
                message = aio_pika.Message(event.model_dump_json().encode())
                await exchange.publish(message, routing_key=event.type)

    # Playwright's sync API keeps an event loop running in this thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, send()).result()
