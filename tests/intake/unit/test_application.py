import pytest

from services.intake.domain.application import (
    STATUS_LABELS,
    ApplicationStatus,
    is_stale_decision,
    next_status,
)
from services.intake.domain.errors import TransitionNotAllowedError

S = ApplicationStatus


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (S.DRAFT, "submit", S.SUBMITTED),
        (S.RETURNED, "submit", S.RESUBMITTED),
        (S.DRAFT, "withdraw", S.WITHDRAWN),
        (S.SUBMITTED, "withdraw", S.WITHDRAWN),
        (S.RESUBMITTED, "withdraw", S.WITHDRAWN),
        (S.RETURNED, "edit", S.RETURNED),
    ],
)
def test_next_status_allowed(status: S, action: str, expected: S):
    assert next_status(status, action) is expected


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (S.SUBMITTED, "submit"),
        (S.SUBMITTED, "edit"),
        (S.ACCEPTED, "withdraw"),
        (S.WITHDRAWN, "submit"),
        (S.AWARDED, "attach"),
    ],
)
def test_next_status_refused_names_the_current_status(status: S, action: str):
    with pytest.raises(TransitionNotAllowedError) as refused:
        next_status(status, action)
    assert STATUS_LABELS[status] in refused.value.message


def test_every_status_has_a_chinese_label():
    assert set(STATUS_LABELS) == set(ApplicationStatus)


@pytest.mark.parametrize(
    ("status", "decided", "current", "stale"),
    [
        (S.SUBMITTED, 1, 1, False),
        (S.RESUBMITTED, 1, 2, True),
        (S.WITHDRAWN, 1, 1, True),
    ],
)
def test_is_stale_decision(status: S, decided: int, current: int, stale: bool):
    assert is_stale_decision(status, decided_revision=decided, current_revision=current) is stale
