"""schemathesis against the intake and review OpenAPI specs, on the services as real processes.

Each operation gets a bounded number of generated cases (valid and invalid), sent with a real
token (an applicant for intake, a unit secretary for review); no response may be a 5xx.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import CheckFunction, not_a_server_error, response_schema_conformance
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.schemas import APIOperation

from shared.auth import Principal
from tests.security.conftest import APPLICANT, SECRETARY, SecurityPlatform

EXAMPLES_PER_OPERATION = 12
FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    derandomize=True,  # reproducible in CI; random exploration found the "³" case below
)


# Error bodies are the services' own {"detail": "<中文>", "errors": [...]} (shared.http), not
# FastAPI's documented HTTPValidationError; so the body schema is checked on successes only.
SUCCESS_CHECKS: list[CheckFunction] = [not_a_server_error, response_schema_conformance]
ERROR_CHECKS: list[CheckFunction] = [not_a_server_error]


@dataclass
class Fuzzed:
    operations: int = 0
    cases: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)


def fuzz(schema: schemathesis.BaseSchema, headers: dict[str, str]) -> Fuzzed:
    """Run every operation, collecting failures instead of stopping at the first."""
    fuzzed = Fuzzed()
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            fuzzed.failures.append(f"operation not loadable: {result.err()}")
            continue
        operation = result.ok()
        fuzzed.operations += 1
        try:
            fuzz_operation(operation, headers, fuzzed)
        except (FailureGroup, AssertionError) as exc:
            fuzzed.failures.append(f"{operation.label}: {str(exc)[:1500]}")
        except Unsatisfiable:
            pass
    return fuzzed


def fuzz_operation(
    operation: APIOperation[Any, Any, Any, Any], headers: dict[str, str], fuzzed: Fuzzed
) -> None:
    strategy = operation.as_strategy(
        generation_mode=GenerationMode.POSITIVE
    ) | operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)

    @FUZZ
    @given(case=strategy)
    def call(case: schemathesis.Case[Any]) -> None:
        fuzzed.cases += 1
        response = case.call(headers=headers)
        fuzzed.statuses[response.status_code] += 1
        succeeded = response.status_code < 400
        case.validate_response(response, checks=SUCCESS_CHECKS if succeeded else ERROR_CHECKS)

    call()


@pytest.mark.parametrize(("service", "principal"), [("intake", APPLICANT), ("review", SECRETARY)])
def test_no_generated_request_gets_a_server_error(
    security_platform: SecurityPlatform, service: str, principal: Principal
):
    schema = schemathesis.openapi.from_url(f"{security_platform.url(service)}/openapi.json")
    fuzzed = fuzz(schema, security_platform.headers(principal))
    print(
        f"\nschemathesis {service}: {fuzzed.operations} operations, {fuzzed.cases} cases, "
        f"{dict(fuzzed.statuses)}"
    )
    assert fuzzed.operations >= 10
    assert fuzzed.cases >= fuzzed.operations * 2
    assert any(200 <= code < 300 for code in fuzzed.statuses), "no request was accepted at all"
    assert any(400 <= code < 500 for code in fuzzed.statuses)
    assert fuzzed.failures == [], "\n\n".join(fuzzed.failures)


@pytest.mark.parametrize(
    ("service", "principal", "path"),
    [
        ("intake", APPLICANT, "/api/applications"),
        ("review", SECRETARY, "/api/assignments/badc506a-0055-323c-9bf0-0a454c3ef100/scores"),
    ],
)
def test_a_unicode_digit_in_a_field_name_is_refused_with_422(
    security_platform: SecurityPlatform, service: str, principal: Principal, path: str
):
    """Found by schemathesis: a body key like "³" in the error location crashed shared/http."""
    response = httpx.post(
        f"{security_platform.url(service)}{path}",
        headers=security_platform.headers(principal),
        json={"marks": {"³": None}, "³": 1},
    )
    assert response.status_code == 422, response.text
