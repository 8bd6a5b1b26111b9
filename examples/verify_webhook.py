"""A tiny qcflow webhook receiver: verifies the signature, drops repeats (standard library only).

Run:  QCFLOW_WEBHOOK_SECRETS=whsec_... python examples/verify_webhook.py --port 8900
Each verified delivery is printed as one JSON line on stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

TOLERANCE_S = 300  # reject signatures older (or newer) than 5 minutes: replay protection
MAX_BODY = 1_000_000


def parse_signature(header: str) -> tuple[int, list[str]]:
    """`t=<unix seconds>,v1=<hex>[,v1=<hex>]` -> (t, [v1, ...]); two v1 during a rotation."""
    timestamp, signatures = -1, []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value)
    return timestamp, signatures


def verify(header: str, body: bytes, secrets: list[str], now: float) -> bool:
    timestamp, signatures = parse_signature(header)
    if timestamp < 0 or abs(now - timestamp) > TOLERANCE_S:
        return False
    signed = f"{timestamp}.".encode() + body  # the raw body bytes, never re-serialised JSON
    expected = [hmac.new(s.encode(), signed, hashlib.sha256).hexdigest() for s in secrets]
    return any(hmac.compare_digest(e, v) for e in expected for v in signatures)


class Receiver(BaseHTTPRequestHandler):
    secrets: ClassVar[list[str]] = []
    seen: ClassVar[set[str]] = set()  # idempotency keys already processed; keep these in a database

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        if length > MAX_BODY:
            self.answer(413)
            return
        body = self.rfile.read(length)
        if not verify(self.headers.get("X-Qcflow-Signature", ""), body, self.secrets, time.time()):
            self.answer(401)  # 4xx: qcflow does not retry it
            return
        key = self.headers.get("Idempotency-Key", "")
        if key not in self.seen:
            self.seen.add(key)
            self.process(json.loads(body))
        self.answer(204)  # a retry of a processed delivery is acknowledged, not redone

    def process(self, payload: dict[str, object]) -> None:
        line = {
            "verified": True,
            "delivery_id": payload["delivery_id"],
            "type": payload["type"],
            "campaign_id": payload.get("campaign_id"),
        }
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stdout.flush()

    def answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        sys.stderr.write(format % args + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    arguments = parser.parse_args()
    # Comma-separated: during a rotation keep the old and the new secret here.
    Receiver.secrets = [s for s in os.environ["QCFLOW_WEBHOOK_SECRETS"].split(",") if s]
    server = ThreadingHTTPServer((arguments.host, arguments.port), Receiver)
    sys.stderr.write(f"listening on {arguments.host}:{arguments.port}\n")
    server.serve_forever()


if __name__ == "__main__":
    main()
