import json

import pytest
from django.db import transaction

from restaurant.printing import services
from tests.support.fake_printer import FakePrinter, stations_make


@pytest.fixture(autouse=True)
def _quick_printers(settings):
    """Timings for tests: a printer that does not answer is given up on in a moment."""
    settings.PRINTING = {
        "PRINT_LEASE_SECONDS": 10, "PRINT_CONNECT_TIMEOUT": 2, "PRINT_REPLY_TIMEOUT": 0.5,
        "PRINT_BACKOFF_SECONDS": 0.05, "PRINT_BACKOFF_MAX_SECONDS": 0.2, "PRINT_POLL_SECONDS": 0.05,
    }  # fmt: skip


@pytest.fixture
def stations(menu):
    """The wok and the rice station; rounds go straight to the kitchen (none held)."""
    menu.restaurant.hold_first_round = False
    menu.restaurant.save()
    return stations_make(menu)


@pytest.fixture
def printed(menu, stations):
    """The stations, each with a printer (at addresses nothing answers: no worker runs)."""
    from tests.support.fake_printer import printers_point

    printers_point(wok="tcp://192.0.2.1", rice="tcp://192.0.2.2:9101")
    return stations


@pytest.fixture
def events(monkeypatch):
    """What the kitchen group is told, each event once its transaction committed."""
    told: list[dict] = []

    def broadcast_on_commit(group, message):
        transaction.on_commit(lambda: told.append({"group": group, **json.loads(message["text"])}))

    monkeypatch.setattr(services, "broadcast_on_commit", broadcast_on_commit)
    return told


@pytest.fixture
def fakes():
    """Two fake printers, started; stopped after the test."""
    printers = [FakePrinter().start(), FakePrinter().start()]
    yield printers
    for printer in printers:
        printer.stop()
