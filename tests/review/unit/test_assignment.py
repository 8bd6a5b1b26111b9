"""Automatic assignment: k reviewers, balanced load, conflicts never assigned."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from services.review.domain.assignment import (
    Candidate,
    EntryToAssign,
    assign_balanced,
    conflict_of,
    ensure_eligible,
)
from services.review.domain.errors import InvalidInputError, StateConflictError


def candidate(
    user_id: str, enterprise_id: str = "other", conflicts: tuple[str, ...] = ()
) -> Candidate:
    return Candidate(user_id, f"专家{user_id}", enterprise_id, frozenset(conflicts))


def entry(app_id: str, enterprise_id: str, assigned: tuple[str, ...] = ()) -> EntryToAssign:
    return EntryToAssign(app_id, enterprise_id, frozenset(assigned))


def test_own_enterprise_and_declared_conflicts_are_excluded():
    pool = [
        candidate("r1", "e1"),
        candidate("r2", conflicts=("e1",)),
        candidate("r3"),
        candidate("r4"),
    ]
    pairs = assign_balanced([entry("a", "e1")], pool, {}, per_entry=2)
    assert sorted(user for _, user in pairs) == ["r3", "r4"]


def test_manual_assignment_of_a_conflicted_reviewer_is_refused():
    with pytest.raises(StateConflictError, match="来自申报企业本身"):
        ensure_eligible(candidate("r1", "e1"), entry("a", "e1"))
    with pytest.raises(StateConflictError, match="利益冲突"):
        ensure_eligible(candidate("r2", conflicts=("e1",)), entry("a", "e1"))
    with pytest.raises(StateConflictError, match="已分配"):
        ensure_eligible(candidate("r3"), entry("a", "e1", ("r3",)))


def test_too_few_eligible_reviewers_is_refused_with_counts():
    with pytest.raises(StateConflictError, match="需要 3 名无利益冲突的专家，专家库中仅有 2 名"):
        assign_balanced([entry("a", "e1")], [candidate("r1"), candidate("r2")], {}, per_entry=3)


def test_zero_reviewers_per_entry_is_refused():
    with pytest.raises(InvalidInputError):
        assign_balanced([entry("a", "e1")], [candidate("r1")], {}, per_entry=0)


def test_existing_load_is_taken_into_account():
    pairs = assign_balanced(
        [entry("a", "e1")], [candidate("r1"), candidate("r2")], {"r1": 5}, per_entry=1
    )
    assert pairs == [("a", "r2")]


@pytest.mark.parametrize("seed", range(60))
def test_random_pools_stay_balanced_and_conflict_free(seed: int):
    rng = random.Random(seed)  # noqa: S311 - reproducible test inputs, not cryptography
    enterprises = [f"e{i}" for i in range(6)]
    pool = [
        candidate(f"r{i}", rng.choice([*enterprises, "outside"]), tuple(rng.sample(enterprises, 1)))
        for i in range(rng.randint(8, 14))
    ]
    entries = [entry(f"a{i}", rng.choice(enterprises)) for i in range(rng.randint(1, 30))]
    per_entry = rng.randint(1, 3)
    try:
        pairs = assign_balanced(entries, pool, {}, per_entry)
    except StateConflictError:
        return  # a pool without enough eligible reviewers for some entry is refused as a whole
    by_user = {c.user_id: c for c in pool}
    enterprise_of = {e.application_id: e.enterprise_id for e in entries}

    assert Counter(app for app, _ in pairs) == {e.application_id: per_entry for e in entries}
    assert len(set(pairs)) == len(pairs)
    assert all(conflict_of(by_user[user], enterprise_of[app]) is None for app, user in pairs)
    load = Counter(user for _, user in pairs)
    free = [
        c.user_id for c in pool if all(conflict_of(c, e.enterprise_id) is None for e in entries)
    ]
    if len(free) >= 2:
        assert max(load[u] for u in free) - min(load[u] for u in free) <= 1
