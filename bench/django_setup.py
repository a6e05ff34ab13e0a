"""Data the bench needs in the application's database, made once per run:

    python -m bench.django_setup --tables 600 [--seated 4] [--restaurant SLUG]

adds that many tables to the restaurant (numbers above its existing ones; by default the
first restaurant, made if there is none), a staff user who manages it and a logged-in session
for it (the kitchen socket's cookie, minted by Django's own session engine), and prints JSON:
`{"tables": [{"number", "token", "cookies"}], "staff_session": KEY}`.

With `--seated N` every new table also gets an open dining session with N diners and, for each
diner, a Django session holding what the join would have stored (`diners`), so that the
large scenarios (W3's thousands of sockets, W5's 500 tables) need not render thousands of
pages first: the page's cost is not what they measure, and at the app's connect rate on this
machine it would take most of the run. Their sockets still connect for real.
"""

import argparse
import json
import os
import sys


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tables", type=int, required=True)
    parser.add_argument("--seated", type=int, default=0, help="diners already at each table")
    parser.add_argument("--restaurant", help="its slug (default: the first restaurant)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import Max
    from django.utils.module_loading import import_string

    from restaurant.dining.models import Diner, DiningSession
    from restaurant.dining.services import DINER_COLORS
    from restaurant.tables.models import Table
    from restaurant.venues.models import Restaurant, StaffMember

    with transaction.atomic():
        if args.restaurant:
            restaurant = Restaurant.objects.get(slug=args.restaurant)
        else:
            restaurant = Restaurant.objects.order_by("pk").first()
            restaurant = restaurant or Restaurant.objects.create(slug="main")
        ours = Table.objects.filter(restaurant=restaurant)
        start = (ours.aggregate(m=Max("number"))["m"] or 0) + 1
        Table.objects.bulk_create(
            [
                Table(restaurant=restaurant, number=start + i, label=f"bench {start + i}")
                for i in range(args.tables)
            ]
        )
        tables = list(ours.filter(number__gte=start).values("number", "token"))
        user, _ = get_user_model().objects.get_or_create(
            username="bench-staff", defaults={"is_active": True}
        )
        StaffMember.objects.update_or_create(
            user=user, restaurant=restaurant, defaults={"role": StaffMember.Role.MANAGER}
        )
    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    for table in tables:
        table["cookies"] = []
    if args.seated:
        by_number = {t["number"]: t for t in tables}
        with transaction.atomic():
            sessions = DiningSession.objects.bulk_create(
                [
                    DiningSession(table_id=pk, restaurant=restaurant, diners_joined=args.seated)
                    for pk in ours.filter(number__gte=start).values_list("pk", flat=True)
                ]
            )
            sessions = list(
                DiningSession.objects.filter(
                    table__restaurant=restaurant, table__number__gte=start
                ).select_related("table")
            )
            diners = Diner.objects.bulk_create(
                [
                    Diner(session=session, name=f"Guest {n + 1}",
                          color=DINER_COLORS[n % len(DINER_COLORS)])
                    for session in sessions
                    for n in range(args.seated)
                ]
            )  # fmt: skip
        number_of = {session.pk: session.table.number for session in sessions}
        for diner in diners:
            cookie = store_class()
            cookie["diners"] = {str(diner.session_id): diner.pk}
            cookie.create()
            by_number[number_of[diner.session_id]]["cookies"].append(cookie.session_key)
    store = store_class()
    store["_auth_user_id"] = str(user.pk)
    store["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    store["_auth_user_hash"] = user.get_session_auth_hash()
    store.create()
    json.dump({"tables": tables, "staff_session": store.session_key}, sys.stdout)


if __name__ == "__main__":
    main()
