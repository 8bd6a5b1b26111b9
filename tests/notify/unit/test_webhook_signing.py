"""Webhook signatures: HMAC-SHA256 over `timestamp.body`, two v1 during a rotation."""

from __future__ import annotations

import hashlib
import hmac

from services.notify.domain.webhooks import (
    is_permanent_failure,
    is_success,
    sign,
    signature_header,
    verify,
)

BODY = '{"type":"application_returned","data":{"group":"雪域先锋"}}'.encode()


def test_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"s3cret", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign("s3cret", 1700000000, BODY) == expected


def test_receiver_accepts_fresh_signature_and_refuses_tampering():
    header = signature_header(["s3cret"], 1700000000, BODY)
    assert header.startswith("t=1700000000,v1=")
    assert verify(header, "s3cret", BODY, now=1700000010)
    assert not verify(header, "other", BODY, now=1700000010)
    assert not verify(header, "s3cret", BODY + b" ", now=1700000010)
    assert not verify(header, "s3cret", BODY, now=1700000000 + 3600)


def test_rotation_signs_with_both_secrets():
    header = signature_header(["new", "old"], 1700000000, BODY)
    assert header.count("v1=") == 2
    assert verify(header, "new", BODY, now=1700000000)
    assert verify(header, "old", BODY, now=1700000000)


def test_http_status_classification():
    assert is_success(200)
    assert is_success(204)
    assert not is_success(302)
    assert is_permanent_failure(400)
    assert is_permanent_failure(410)
    assert not is_permanent_failure(408)
    assert not is_permanent_failure(429)
    assert not is_permanent_failure(503)
