"""Who sees an entry: its unit's staff, its assigned reviewers, national staff once recommended."""

from __future__ import annotations

import pytest

from services.review.domain.access import EntryScope, can_view
from shared.auth import Principal, Role

AT_UNIT = EntryScope(
    unit_id="xizang",
    is_at_national_level=False,
    reviewer_ids=frozenset({"r1"}),
    national_reviewer_ids=frozenset(),
)
AT_NATIONAL = EntryScope(
    unit_id="xizang",
    is_at_national_level=True,
    reviewer_ids=frozenset({"r1"}),
    national_reviewer_ids=frozenset({"n1"}),
)


def person(role: Role, org: str, user: str = "someone") -> Principal:
    return Principal(user_id=user, role=role, org_id=org, name="")


@pytest.mark.parametrize(
    ("actor", "scope", "expected"),
    [
        (person(Role.UNIT_SECRETARY, "xizang"), AT_UNIT, True),
        (person(Role.UNIT_SECRETARY, "sichuan"), AT_UNIT, False),
        (person(Role.UNIT_REVIEWER, "xizang", "r1"), AT_UNIT, True),
        (person(Role.UNIT_REVIEWER, "xizang", "r2"), AT_UNIT, False),
        (person(Role.UNIT_REVIEWER, "sichuan", "r1"), AT_UNIT, False),
        (person(Role.NATIONAL_SECRETARY, "caq"), AT_UNIT, False),
        (person(Role.NATIONAL_SECRETARY, "caq"), AT_NATIONAL, True),
        (person(Role.NATIONAL_ADMIN, "caq"), AT_NATIONAL, True),
        (person(Role.NATIONAL_REVIEWER, "caq", "n1"), AT_NATIONAL, True),
        (person(Role.NATIONAL_REVIEWER, "caq", "n2"), AT_NATIONAL, False),
        (person(Role.APPLICANT, "xizang"), AT_UNIT, False),
    ],
)
def test_can_view(actor: Principal, scope: EntryScope, expected: bool):
    assert can_view(actor, scope) is expected
