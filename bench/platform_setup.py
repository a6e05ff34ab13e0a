"""The platform's data for W6, made in one Django process with bulk inserts:

    python -m bench.platform_setup --restaurants 100 [--tables 10] [--seated 4]

makes that many restaurants (slugs `plat-<run>-<n>`), each with a small menu of its own (one
category, `DISHES` dishes without options, prices in minor units), tables numbered from 1 with
labels `<slug> <number>` (so that a staff event's `table.label` names its restaurant), an open
dining session per table with ``--seated`` diners and a minted Django session per diner (what
the join would have stored, as `bench.django_setup --seated` does), and two staff people per
restaurant with a minted login session each: one of the kitchen role (the kitchen display's
socket) and one waiter (the floor's socket). Prints one line of JSON:

    {"restaurants": [{"slug", "id", "dishes": [dish_id], "specials": [dish_id],
      "kitchen_session", "floor_session",
      "tables": [{"number", "token", "label", "cookies": [session_key]}]}]}

`dishes` are what the diners order; `specials` are what the kitchen switches sold out and
back during the run (kept apart so that a switch never refuses a diner's op: the run measures
the switch's fan-out, not the refusals).

Sessions are written with one `bulk_create` when the session engine is the database's (the
default); any other engine gets them one by one through its own store.
"""

import argparse
import json
import os
import secrets
import sys

DISHES = 6  # ordered by diners
SPECIALS = 2  # switched sold out and back


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--restaurants", type=int, required=True)
    parser.add_argument("--tables", type=int, default=10)
    parser.add_argument("--seated", type=int, default=4, help="diners at each table")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    json.dump(seed(args.restaurants, args.tables, args.seated), sys.stdout)


def seed(n_restaurants: int, n_tables: int, seated: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from restaurant.dining.models import Diner, DiningSession
    from restaurant.dining.services import DINER_COLORS
    from restaurant.menu.models import Category, Dish
    from restaurant.tables.models import Table
    from restaurant.venues.models import Restaurant, StaffMember

    run = secrets.token_hex(3)  # several seedings in one database stay apart
    User = get_user_model()
    with transaction.atomic():
        restaurants = Restaurant.objects.bulk_create(
            [
                Restaurant(slug=f"plat-{run}-{i:03d}", name=f"Platform {i}")
                for i in range(n_restaurants)
            ]
        )
        categories = Category.objects.bulk_create(
            [Category(restaurant=r, name="菜", name_en="Dishes") for r in restaurants]
        )
        per = DISHES + SPECIALS
        dishes = Dish.objects.bulk_create(
            [
                Dish(restaurant=r, category=c, name=f"菜 {k + 1}", name_en=f"Dish {k + 1}",
                     price=1800 + 200 * k, sort_order=k)
                for r, c in zip(restaurants, categories, strict=True)
                for k in range(per)
            ]
        )  # fmt: skip
        tables = Table.objects.bulk_create(
            [
                Table(restaurant=r, number=n, label=f"{r.slug} {n}")
                for r in restaurants
                for n in range(1, n_tables + 1)
            ]
        )
        sessions = DiningSession.objects.bulk_create(
            [DiningSession(table=t, restaurant_id=t.restaurant_id, diners_joined=seated)
             for t in tables]
        )  # fmt: skip
        diners = Diner.objects.bulk_create(
            [
                Diner(session=s, name=f"Guest {k + 1}", color=DINER_COLORS[k % len(DINER_COLORS)])
                for s in sessions
                for k in range(seated)
            ]
        )
        users = User.objects.bulk_create(
            [
                User(username=f"{r.slug}-{role}", is_active=True)
                for r in restaurants
                for role in ("kitchen", "floor")
            ]
        )
        StaffMember.objects.bulk_create(
            [
                StaffMember(user=u, restaurant=r, role=role)
                for r, pair in zip(restaurants, zip(users[::2], users[1::2], strict=True),
                                   strict=True)
                for u, role in zip(pair, (StaffMember.Role.KITCHEN, StaffMember.Role.WAITER),
                                   strict=True)
            ]
        )  # fmt: skip
    diner_keys = _sessions([{"diners": {str(d.session_id): d.pk}} for d in diners])
    staff_keys = _sessions(
        [
            {
                "_auth_user_id": str(u.pk),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": u.get_session_auth_hash(),
            }
            for u in users
        ]
    )
    out = []
    for i, r in enumerate(restaurants):
        menu = [d.pk for d in dishes[i * per : (i + 1) * per]]
        mine = tables[i * n_tables : (i + 1) * n_tables]
        out.append(
            {
                "slug": r.slug,
                "id": r.pk,
                "dishes": menu[:DISHES],
                "specials": menu[DISHES:],
                "kitchen_session": staff_keys[2 * i],
                "floor_session": staff_keys[2 * i + 1],
                "tables": [
                    {
                        "number": t.number,
                        "token": t.token,
                        "label": t.label,
                        "cookies": diner_keys[
                            (i * n_tables + j) * seated : (i * n_tables + j + 1) * seated
                        ],
                    }
                    for j, t in enumerate(mine)
                ],
            }
        )
    return {"restaurants": out}


def _sessions(contents: list[dict]) -> list[str]:
    """One Django session per dict of ``contents``; their keys, in order. (The keys are 32
    random characters, as the store's own; a collision would fail the insert, not pass.)"""
    from django.conf import settings
    from django.utils.module_loading import import_string

    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        keys = []
        for data in contents:
            store = store_class()
            store.update(data)
            store.create()
            keys.append(store.session_key)
        return keys
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.contrib.sessions.models import Session
    from django.utils.crypto import get_random_string

    store = store_class()
    expires = store.get_expiry_date()
    rows = [
        Session(session_key=get_random_string(32, VALID_KEY_CHARS), session_data=store.encode(data),
                expire_date=expires)
        for data in contents
    ]  # fmt: skip
    Session.objects.bulk_create(rows, batch_size=2000)
    return [row.session_key for row in rows]


if __name__ == "__main__":
    main()
