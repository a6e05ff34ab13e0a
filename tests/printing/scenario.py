"""Set-up for the tests that run the print worker as a process of its own: run as
``python -m tests.printing.scenario seed URL`` in a database given by DATABASE_URL, it makes a
restaurant whose wok station prints at URL and one round for it (rounds straight to the
kitchen), and prints the round's print job ids as JSON."""

import json
import os
import sys


def seed(url: str, rounds: int = 1) -> list[int]:
    from restaurant.printing.models import PrintJob
    from restaurant.printing.services import printer_set
    from tests.factories import make_menu
    from tests.support.fake_printer import chicken, round_submit, stations_make

    menu = make_menu()
    menu.restaurant.hold_first_round = False
    menu.restaurant.save()
    wok, _ = stations_make(menu)
    printer_set(station=wok, url=url)
    for n in range(rounds):
        round_submit(menu, chicken(menu, qty=n + 1), table=menu.table)
    return list(PrintJob.objects.order_by("pk").values_list("pk", flat=True))


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    command, *args = sys.argv[1:]
    assert command == "seed", command
    print(json.dumps(seed(args[0], int(args[1]) if len(args) > 1 else 1)))
