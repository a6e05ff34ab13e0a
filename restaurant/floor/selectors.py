"""Reads for the staff floor: every table with its meal, diners, orders and calls."""

from django.db.models import Count, Max, Q

from restaurant.dining.models import Connection, DiningSession
from restaurant.kitchen.models import Order, WaiterCall
from restaurant.tables.models import Table
from restaurant.venues.models import Restaurant


def floor_tables(*, restaurant: Restaurant) -> list[dict]:
    """Every table of ``restaurant`` at a glance: free or open, diners online, open orders,
    waiting calls, rounds held for staff to accept (`held_orders`), and when the last order
    came in. Nothing of another restaurant: every query is filtered by it."""
    sessions = {
        s.table_id: s
        for s in DiningSession.objects.filter(
            restaurant=restaurant, status=DiningSession.Status.OPEN
        ).annotate(
            diners_count=Count("diners", distinct=True),
            open_orders=Count(
                "orders", filter=~Q(orders__status__in=["served", "cancelled"]), distinct=True
            ),
            last_order_at=Max("orders__created_at"),
        )
    }
    online: dict[int, set[int]] = {}
    for session_id, diner_id in Connection.objects.filter(
        diner__session__restaurant=restaurant, diner__session__status=DiningSession.Status.OPEN
    ).values_list("diner__session_id", "diner_id"):
        online.setdefault(session_id, set()).add(diner_id)
    held: dict[int, list[dict]] = {}  # rounds waiting for staff to accept them, by table
    for order in (
        Order.objects.filter(
            restaurant=restaurant,
            awaiting_confirmation=True,
            status=Order.Status.SUBMITTED,
            session__status=DiningSession.Status.OPEN,
        )
        .select_related("session")
        .prefetch_related("items")
        .order_by("created_at", "pk")
    ):
        held.setdefault(order.session.table_id, []).append(
            {
                "order_id": order.pk,
                "round": order.round,
                "total": order.total,
                "items": sum(item.qty for item in order.items.all()),
                "at": order.created_at.isoformat(),
            }
        )
    calls: dict[int, list[dict]] = {}
    for call in WaiterCall.objects.filter(restaurant=restaurant, status=WaiterCall.Status.OPEN):
        calls.setdefault(call.table_id, []).append(
            {
                "call_id": call.pk,
                "reason": call.reason,
                "at": call.created_at.isoformat(),
                "seen_at": call.seen_at.isoformat() if call.seen_at else None,
            }
        )
    rows = []
    for table in Table.objects.filter(restaurant=restaurant).order_by("number"):
        session = sessions.get(table.pk)
        rows.append(
            {
                "number": table.number,
                "label": table.label,
                "status": "open" if session else "free",
                "session_id": session.pk if session else None,
                "opened_at": session.opened_at.isoformat() if session else None,
                "diners": session.diners_count if session else 0,
                "diners_online": len(online.get(session.pk, ())) if session else 0,
                "open_orders": session.open_orders if session else 0,
                "last_order_at": (
                    session.last_order_at.isoformat() if session and session.last_order_at else None
                ),
                "calls": calls.get(table.pk, []),
                "held_orders": held.get(table.pk, []),
            }
        )
    return rows
