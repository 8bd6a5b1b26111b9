"""Signed bearer tokens: intake issues them, every service verifies them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import jwt

ALGORITHM = "HS256"
ISSUER = "qcflow"


class Role(StrEnum):
    APPLICANT = "applicant"
    UNIT_SECRETARY = "unit_secretary"
    UNIT_REVIEWER = "unit_reviewer"
    NATIONAL_SECRETARY = "national_secretary"
    NATIONAL_REVIEWER = "national_reviewer"
    NATIONAL_ADMIN = "national_admin"


class InvalidTokenError(Exception):
    pass


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: Role
    org_id: str
    name: str


def issue_token(
    principal: Principal, *, secret: str, ttl_s: int, now: datetime | None = None
) -> str:
    issued_at = now or datetime.now(UTC)
    claims = {
        "sub": principal.user_id,
        "role": principal.role.value,
        "org": principal.org_id,
        "name": principal.name,
        "iss": ISSUER,
        "iat": issued_at,
        "exp": issued_at + timedelta(seconds=ttl_s),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_token(token: str, *, secret: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "role", "org", "exp"]},
        )
        return Principal(
            user_id=claims["sub"],
            role=Role(claims["role"]),
            org_id=claims["org"],
            name=claims.get("name", ""),
        )
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise InvalidTokenError(str(exc)) from exc
