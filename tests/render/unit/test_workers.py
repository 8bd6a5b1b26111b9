"""The render child's own bookkeeping around each document."""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING, NoReturn

from services.render import workers

if TYPE_CHECKING:
    import pytest


def test_the_child_freezes_its_heap_once_without_walking_the_frozen_objects_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def walk_every_frozen_object() -> NoReturn:
        raise AssertionError("gc.get_freeze_count() walks the whole frozen heap on each call")

    freezes: list[str] = []
    monkeypatch.setattr(
        workers, "leave_live_objects_out_of_collections", lambda: freezes.append("frozen")
    )
    monkeypatch.setattr(gc, "get_freeze_count", walk_every_frozen_object)
    workers._freeze_warm_heap_once.cache_clear()  # as in a child that drew nothing yet
    try:
        for _document in range(3):
            workers._freeze_warm_heap_once()
    finally:
        workers._freeze_warm_heap_once.cache_clear()

    assert len(freezes) == 1
