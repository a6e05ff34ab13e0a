"""Reads of a dining session: the snapshot a socket starts from, and the bill."""

from collections import defaultdict

from django.db import transaction

from restaurant.dining.models import CartLine, DiningSession
from restaurant.dining.payloads import call_payload, diner_payload, line_payload, order_payload
from restaurant.dining.services import presence_online, session_of_diner_lock
from restaurant.kitchen.models import Order, WaiterCall
from restaurant.menu.catalog import Catalog, catalog
from restaurant.menu.models import Restaurant
from restaurant.menu.pricing import unit_price


def session_orders(session: DiningSession) -> list[Order]:
    return list(session.orders.prefetch_related("items").order_by("round"))


def _dish(menu: Catalog, line: CartLine):
    return menu.dishes.get(line.dish_id) or line.dish  # a dish deleted since: read it


def dining_snapshot(*, diner_id: int) -> dict:
    """Everything a diner's page shows, consistent with one `seq` (taken under the session
    lock, which every writer takes too)."""
    with transaction.atomic():
        session = session_of_diner_lock(diner_id)
        restaurant = Restaurant.current()
        menu = catalog(restaurant.menu_version)
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
            "cart": [
                line_payload(
                    line, unit_price=unit_price(_dish(menu, line), line.options, menu.options)
                )
                for line in lines
            ],
            "orders": [order_payload(o) for o in session_orders(session)],
            "menu_version": restaurant.menu_version,
            # The meal's waiter calls, answered ones too: the whole table follows each one.
            "calls": [call_payload(c) for c in WaiterCall.objects.filter(session=session)],
        }


def dining_bill(*, session: DiningSession) -> dict:
    """The session's orders (cancelled ones left out), a total per diner by who added what."""
    orders = [o for o in session_orders(session) if o.status != Order.Status.CANCELLED]
    per_diner: dict[int, int] = defaultdict(int)
    for order in orders:
        for item in order.items.all():
            per_diner[item.added_by_id] += item.unit_price * item.qty
    diners = {d.pk: d for d in session.diners.all()}
    return {
        "currency": Restaurant.current().currency,
        "orders": [order_payload(o) for o in orders],
        "per_diner": [
            {"diner_id": d.pk, "name": d.name, "color": d.color, "total": per_diner.get(d.pk, 0)}
            for d in diners.values()
        ],
        "total": sum(per_diner.values()),
    }
