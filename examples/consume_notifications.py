"""Consume qcflow notifications from RabbitMQ with your own durable queue (aio-pika).

Run:  python examples/consume_notifications.py --url amqp://guest:guest@localhost/ \
          --queue acme.qcflow --bind '#'
Each notification is printed as one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import aio_pika

EXCHANGE = "qcflow.notifications"  # topic; routing key <template>.<recipient_kind>


async def consume(url: str, queue_name: str, bindings: list[str], max_messages: int) -> None:
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=20)
        exchange = await channel.get_exchange(EXCHANGE)  # passive: qcflow declares it
        # Durable, yours: messages wait here while your consumer is down.
        queue = await channel.declare_queue(queue_name, durable=True)
        for binding in bindings:
            await queue.bind(exchange, routing_key=binding)
        print_line({"ready": True, "queue": queue_name})
        seen: set[str] = set()  # idempotency keys handled; keep these in your database
        received = 0
        async with queue.iterator() as messages:
            async for message in messages:
                async with message.process():  # ack after handling, requeue if it raises
                    if message.message_id in seen:
                        continue  # a redelivery: already handled
                    seen.add(str(message.message_id))
                    handle(message.routing_key or "", json.loads(message.body))
                received += 1
                if received == max_messages:
                    return


def handle(routing_key: str, notification: dict[str, object]) -> None:
    print_line(
        {
            "routing_key": routing_key,
            "delivery_id": notification["delivery_id"],
            "template": notification["template"],
            "recipient": notification["recipient"],
            "campaign_id": notification.get("campaign_id"),
            "subject": notification["subject"],
        }
    )


def print_line(line: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1/")
    parser.add_argument("--queue", default="integrator.qcflow-notifications")
    parser.add_argument("--bind", action="append", help="routing key pattern, e.g. '*.applicant'")
    parser.add_argument("--max-messages", type=int, default=0, help="stop after N (0 = never)")
    arguments = parser.parse_args()
    bindings = arguments.bind or ["#"]
    asyncio.run(consume(arguments.url, arguments.queue, bindings, arguments.max_messages))


if __name__ == "__main__":
    main()
