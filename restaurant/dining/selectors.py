"""Reads of a dining session: the snapshot a socket starts from, and the bill."""

from collections import defaultdict

from django.db import transaction

from restaurant.dining.models import CartLine, Diner, DiningSession
from restaurant.dining.payloads import diner_payload, line_payload, order_payload
from restaurant.dining.services import presence_online, session_lock
from restaurant.kitchen.models import Order
from restaurant.menu.models import Restaurant
from restaurant.menu.pricing import options_by_id, unit_price


def session_orders(session: DiningSession) -> list[Order]:
    return list(session.orders.prefetch_related("items").order_by("round"))


def dining_snapshot(*, diner_id: int) -> dict:
    """Everything a diner's page shows, consistent with one `seq` (taken under the session
    lock, which every writer takes too)."""
    with transaction.atomic():
        diner = Diner.objects.get(pk=diner_id)
        session = session_lock(diner.session_id)
        restaurant = Restaurant.current()
        online = set(presence_online(session.pk))
        lines = list(CartLine.objects.filter(session=session).select_related("dish"))
        options = options_by_id(i for line in lines for i in line.options)
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
            "me": {"diner_id": diner.pk},
            "diners": [diner_payload(d, online=d.pk in online) for d in session.diners.all()],
            "cart": [
                line_payload(line, unit_price=unit_price(line.dish, line.options, options))
                for line in lines
            ],
            "orders": [order_payload(o) for o in session_orders(session)],
            "menu_version": restaurant.menu_version,
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
