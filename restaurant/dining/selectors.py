"""Reads of a dining session: the snapshot a socket starts from, and the bill."""

from collections import defaultdict
from collections.abc import Callable

from django.db import transaction

from restaurant.dining.meal import meal_payload
from restaurant.dining.models import CartLine, DiningSession
from restaurant.dining.payloads import diner_payload, line_payload
from restaurant.dining.services import presence_online, session_of_diner_lock
from restaurant.menu.catalog import Catalog, catalog
from restaurant.menu.hours import ordering_state, rules
from restaurant.menu.pricing import unit_price
from restaurant.venues.models import Restaurant

# A meal's orders and waiter calls are the kitchen's: that app sits above this one (it builds
# on meals and diners), so this one may not import it. It hands over how to read them, as
# they go on the wire, at startup (KitchenConfig.ready): `orders` (by round) and `calls`.
MealPart = Callable[[DiningSession], list[dict]]
_meal_parts: dict[str, MealPart] = {}


def meal_part_register(name: str, read: MealPart) -> None:
    _meal_parts[name] = read


def _meal_part(name: str, session: DiningSession) -> list[dict]:
    try:
        read = _meal_parts[name]
    except KeyError:
        raise LookupError(
            f"no app registered the meal's {name!r} (restaurant.kitchen, in its ready())"
        ) from None
    return read(session)


def _dish(menu: Catalog, line: CartLine):
    return menu.dishes.get(line.dish_id) or line.dish  # a dish deleted since: read it


def _price(menu: Catalog, line: CartLine) -> int:
    return unit_price(_dish(menu, line), line.options, menu.options, takeaway=line.takeaway)


def dining_snapshot(*, diner_id: int) -> dict:
    """Everything a diner's page shows, consistent with one `seq` (taken under the session
    lock, which every writer takes too)."""
    with transaction.atomic():
        session = session_of_diner_lock(diner_id)
        restaurant = Restaurant.objects.get(pk=session.restaurant_id)
        menu = catalog(restaurant.pk, restaurant.menu_version)
        online = set(presence_online(session.pk))
        lines = list(CartLine.objects.filter(session=session))
        return {
            "type": "snapshot",
            "seq": session.seq,
            "restaurant": {
                "name": restaurant.name,
                "name_en": restaurant.name_en,
                "currency": restaurant.currency,
            },
            "table": {"number": session.table.number, "label": session.table.label},
            "session": {"id": session.pk, "status": session.status},
            "me": {"diner_id": diner_id},
            "diners": [diner_payload(d, online=d.pk in online) for d in session.diners.all()],
            "cart": [line_payload(line, unit_price=_price(menu, line)) for line in lines],
            "orders": _meal_part("orders", session),
            "menu_version": restaurant.menu_version,
            # Guests and the whole order's note; whether the restaurant takes orders now.
            "meal": meal_payload(session),
            "ordering": ordering_state(rules(restaurant.pk, restaurant.menu_version)),
            # The meal's waiter calls, answered ones too: the whole table follows each one.
            "calls": _meal_part("calls", session),
        }


def _currency_of(session: DiningSession) -> str:
    return Restaurant.objects.values_list("currency", flat=True).get(pk=session.restaurant_id)


def dining_bill(*, session: DiningSession) -> dict:
    """The session's orders (cancelled ones left out), a total per diner by who added what;
    a dish staff took back (voided) is not charged, one on the house (``comped``) is listed
    and charged 0: ``comped`` is what those would have cost (minor units), per diner too."""
    orders = [o for o in _meal_part("orders", session) if o["status"] != "cancelled"]
    per_diner: dict[int, int] = defaultdict(int)
    comped: dict[int, int] = defaultdict(int)
    for order in orders:
        for item in order["items"]:
            if item.get("status") != "voided":
                owed = comped if item.get("comped") else per_diner
                owed[item["added_by"]] += item["price"] * item["qty"]
    diners = {d.pk: d for d in session.diners.all()}
    return {
        "currency": _currency_of(session),
        "orders": orders,
        "per_diner": [
            {
                "diner_id": d.pk,
                "name": d.name,
                "color": d.color,
                "total": per_diner.get(d.pk, 0),
                "comped": comped.get(d.pk, 0),
            }
            for d in diners.values()
        ],
        "total": sum(per_diner.values()),
        "comped": sum(comped.values()),
    }
