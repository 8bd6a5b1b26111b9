"""Who may review an entry, and a balanced automatic assignment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from services.review.domain.errors import InvalidInputError, StateConflictError


@dataclass(frozen=True)
class Candidate:
    user_id: str
    name: str
    enterprise_id: str
    conflict_enterprise_ids: frozenset[str]


@dataclass(frozen=True)
class EntryToAssign:
    application_id: str
    enterprise_id: str
    already_assigned: frozenset[str]


def conflict_of(candidate: Candidate, enterprise_id: str) -> str | None:
    if candidate.enterprise_id == enterprise_id:
        return "该专家来自申报企业本身，须回避"
    if enterprise_id in candidate.conflict_enterprise_ids:
        return "该专家已申报与该企业存在利益冲突，须回避"
    return None


def ensure_eligible(candidate: Candidate, entry: EntryToAssign) -> None:
    conflict = conflict_of(candidate, entry.enterprise_id)
    if conflict:
        raise StateConflictError(f"评审专家 {candidate.name}：{conflict}。")
    if candidate.user_id in entry.already_assigned:
        raise StateConflictError(f"评审专家 {candidate.name}：已分配评审该申报。")


def assign_balanced(
    entries: Sequence[EntryToAssign],
    candidates: Sequence[Candidate],
    load: Mapping[str, int],
    per_entry: int,
) -> list[tuple[str, str]]:
    """Pairs (application_id, user_id) topping each entry up to `per_entry` reviewers.

    Always the least-loaded eligible reviewer first; ties by user id, for reproducibility.
    """
    if per_entry < 1:
        raise InvalidInputError("每条申报的评审专家人数：至少为 1。")
    current = dict(load)
    pairs: list[tuple[str, str]] = []
    for entry in entries:
        needed = per_entry - len(entry.already_assigned)
        eligible = [
            c
            for c in candidates
            if c.user_id not in entry.already_assigned
            and conflict_of(c, entry.enterprise_id) is None
        ]
        if len(eligible) < needed:
            raise StateConflictError(
                f"自动分配：申报 {entry.application_id} 需要 {needed} 名无利益冲突的专家，"
                f"专家库中仅有 {len(eligible)} 名，请先补充专家。"
            )
        for _ in range(max(needed, 0)):
            chosen = min(eligible, key=lambda c: (current.get(c.user_id, 0), c.user_id))
            eligible.remove(chosen)
            current[chosen.user_id] = current.get(chosen.user_id, 0) + 1
            pairs.append((entry.application_id, chosen.user_id))
    return pairs
