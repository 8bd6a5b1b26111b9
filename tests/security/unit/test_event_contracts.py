"""Property tests for the event contracts: round trip, unknown fields, version skew both ways."""

from __future__ import annotations

import json
from datetime import UTC
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import AwareDatetime, BaseModel, create_model

from shared.events import EVENT_CLASSES, Event, any_event_adapter

st.register_type_strategy(AwareDatetime, st.datetimes(timezones=st.just(UTC)))

# The envelope every producer always writes; version skew concerns the payload's optional fields.
ENVELOPE = frozenset(Event.model_fields)
PROPERTY_SETTINGS = settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def events_of(cls: type[Event]) -> st.SearchStrategy[Event]:
    """`st.builds` infers every field; fields with a default factory need an explicit strategy."""
    factories = {
        name: st.from_type(field.annotation)  # type: ignore[arg-type]
        for name, field in cls.model_fields.items()
        if field.default_factory is not None
    }
    return st.builds(cls, **factories)


def optional_payload_fields(cls: type[Event]) -> list[str]:
    return [
        name
        for name, field in cls.model_fields.items()
        if not field.is_required() and name not in ENVELOPE
    ]


def older_model(cls: type[Event], dropped: str) -> type[BaseModel]:
    """The same contract as an older consumer knew it: without the field added later."""
    fields: dict[str, Any] = {
        name: (field.annotation, field)
        for name, field in cls.model_fields.items()
        if name != dropped
    }
    return create_model(f"Older{cls.__name__}", __config__=cls.model_config, **fields)


CLASSES = pytest.mark.parametrize("cls", EVENT_CLASSES, ids=lambda cls: cls.__name__)


def test_every_published_event_type_is_covered():
    assert len(EVENT_CLASSES) == len({cls.model_fields["type"].default for cls in EVENT_CLASSES})
    assert len(EVENT_CLASSES) >= 20


@CLASSES
def test_round_trip_through_json_and_the_event_union(cls: type[Event]):
    @PROPERTY_SETTINGS
    @given(event=events_of(cls))
    def check(event: Event) -> None:
        wire = event.model_dump_json()
        assert cls.model_validate_json(wire) == event
        parsed = any_event_adapter.validate_json(wire)
        assert type(parsed) is cls
        assert parsed == event

    check()


@CLASSES
def test_unknown_extra_fields_are_ignored(cls: type[Event]):
    extras = st.dictionaries(
        st.text(min_size=1, max_size=12).filter(lambda key: key not in cls.model_fields),
        st.one_of(st.none(), st.integers(), st.text(max_size=20), st.lists(st.integers())),
        min_size=1,
        max_size=4,
    )

    @PROPERTY_SETTINGS
    @given(event=events_of(cls), extra=extras)
    def check(event: Event, extra: dict[str, object]) -> None:
        message = {**json.loads(event.model_dump_json()), **extra}
        assert any_event_adapter.validate_json(json.dumps(message)) == event

    check()


@CLASSES
def test_an_older_consumer_reads_a_newer_message(cls: type[Event]):
    """Every optional payload field, in turn, plays the part of the field added later."""
    older = {name: older_model(cls, name) for name in optional_payload_fields(cls)}

    @PROPERTY_SETTINGS
    @given(event=events_of(cls))
    def check(event: Event) -> None:
        wire = event.model_dump_json()
        full = json.loads(wire)
        for dropped, model in older.items():
            read = model.model_validate_json(wire)
            expected = {name: value for name, value in full.items() if name != dropped}
            assert json.loads(read.model_dump_json()) == expected

    check()


@CLASSES
def test_a_newer_consumer_reads_an_older_message_without_optional_fields(cls: type[Event]):
    optional = optional_payload_fields(cls)

    @PROPERTY_SETTINGS
    @given(event=events_of(cls))
    def check(event: Event) -> None:
        full = json.loads(event.model_dump_json())
        older_message = {name: value for name, value in full.items() if name not in optional}
        read = any_event_adapter.validate_json(json.dumps(older_message))
        assert type(read) is cls
        for name in optional:
            assert getattr(read, name) == cls.model_fields[name].get_default(
                call_default_factory=True
            )
        for name in older_message:
            assert getattr(read, name) == getattr(event, name)

    check()
