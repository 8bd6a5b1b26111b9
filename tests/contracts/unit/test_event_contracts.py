"""The bus contract: schemas are snapshotted, every event is routed, evolution stays compatible."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from shared.events import EVENT_CLASSES, EVENT_TYPES, any_event_adapter
from shared.messaging.topology import SERVICE_QUEUES, UNCONSUMED_EVENT_TYPES

SNAPSHOTS = Path(__file__).resolve().parents[1] / "snapshots"
UPDATE = os.environ.get("QCFLOW_UPDATE_SNAPSHOTS") == "1"


@pytest.mark.parametrize("event_class", EVENT_CLASSES, ids=lambda cls: cls.__name__)
def test_event_schema_matches_its_snapshot(event_class):
    event_type = event_class.model_fields["type"].default
    schema = event_class.model_json_schema()
    path = SNAPSHOTS / f"{event_type}.json"
    if UPDATE or not path.exists():
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    snapshot = json.loads(path.read_text())
    removed = set(snapshot["properties"]) - set(schema["properties"])
    assert not removed, f"{event_type}: removing {removed} needs a new {event_type}.v2 type"
    newly_required = set(schema.get("required", ())) - set(snapshot.get("required", ()))
    assert not newly_required, (
        f"{event_type}: new required fields {newly_required} break old publishers"
    )
    assert schema == snapshot, "schema changed: run `make contracts` and review the diff"


def test_every_event_type_is_bound_to_a_consumer_or_declared_unconsumed():
    bound = {t for queue in SERVICE_QUEUES.values() for t in queue.event_types}
    assert set(EVENT_TYPES) - bound == set(UNCONSUMED_EVENT_TYPES)
    assert bound <= set(EVENT_TYPES), f"bindings for unknown types: {bound - set(EVENT_TYPES)}"


def test_event_types_are_unique_past_participles():
    assert len(EVENT_TYPES) == len(set(EVENT_TYPES))
    for event_type in EVENT_TYPES:
        aggregate, _, verb = event_type.partition(".")
        assert aggregate, event_type
        assert verb.endswith(("ed", "sent", "withdrawn")), event_type


def test_consumers_ignore_unknown_fields():
    event = any_event_adapter.validate_python(
        {
            "type": "application.withdrawn",
            "application_id": "0" * 32,
            "unit_id": "u",
            "enterprise_id": "e",
            "field_from_a_newer_publisher": 1,
        }
    )
    assert event.type == "application.withdrawn"
    assert not hasattr(event, "field_from_a_newer_publisher")
