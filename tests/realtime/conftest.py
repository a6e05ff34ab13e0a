"""Fixtures of the realtime tests."""

import pytest

from restaurant.realtime import broadcast, codec


@pytest.fixture
def sent(monkeypatch) -> list[tuple[str, dict]]:
    """Every event a committed transaction hands over, as (group, event), instead of sent."""
    events: list[tuple[str, dict]] = []
    monkeypatch.setattr(
        broadcast,
        "send_now",
        lambda group, message: events.append((group, codec.loads(message["text"]))),
    )
    return events


class NoLoopFuture:
    """Stands in for the loop's future of a group-commit item: `_apply` and `_shed` run in
    the test's thread, without an event loop."""
