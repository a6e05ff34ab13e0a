"""Reads for the kitchen display."""

from restaurant.dining.payloads import order_payload
from restaurant.kitchen.models import Order, WaiterCall
from restaurant.kitchen.services import FINAL, waiter_call_event
from restaurant.menu.selectors import dishes_sold_out


def order_with_table(order: Order) -> dict:
    table = order.session.table
    return {**order_payload(order), "table": {"number": table.number, "label": table.label}}


def kitchen_open_orders() -> list[dict]:
    """Orders not yet served or cancelled, oldest first."""
    orders = (
        Order.objects.exclude(status__in=FINAL)
        .select_related("session__table")
        .prefetch_related("items")
        .order_by("created_at", "pk")
    )
    return [order_with_table(o) for o in orders]


def waiter_calls_open() -> list[dict]:
    calls = WaiterCall.objects.filter(status=WaiterCall.Status.OPEN).select_related("table")
    return [{k: v for k, v in waiter_call_event(c).items() if k != "type"} for c in calls]


def kitchen_snapshot() -> dict:
    return {
        "type": "snapshot",
        "orders": kitchen_open_orders(),
        "calls": waiter_calls_open(),
        "dishes_sold_out": dishes_sold_out(),
    }
