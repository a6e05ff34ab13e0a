"""Reads for the staff floor: every table with its meal, diners, orders and calls."""

from django.db.models import Count, F, Max, Q, Sum
from django.utils import timezone

from restaurant.dining.models import Connection, DiningSession, MealTransfer
from restaurant.kitchen.models import Order, OrderItem, WaiterCall
from restaurant.tables.models import Table
from restaurant.venues.models import Restaurant


def floor_tables(*, restaurant: Restaurant) -> list[dict]:
    """Every table of ``restaurant`` at a glance: free or open, diners online, open orders,
    waiting calls, rounds held for staff to accept (`held_orders`), and when the last order
    came in. Nothing of another restaurant: every query is filtered by it.

    An open table's card also has (`meal_figures`): `total`, the bill so far in minor units
    (as `dining_bill`: cancelled rounds, dishes taken back and dishes on the house not
    charged); `guests` (None until someone says); `rounds` sent (cancelled ones not
    counted: none means the table waits for its first round, since `opened_at`); `late`,
    dishes past their target time neither served nor taken back; `joined`, the joins into
    this meal that may be split back (`transfer_id`, the joined table's `number`, `label`)."""
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
    figures = meal_figures(restaurant=restaurant)
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
                **(figures.get(session.pk, EMPTY_FIGURES) if session else EMPTY_FIGURES),
                "guests": session.guests if session else None,
            }
        )
    return rows


EMPTY_FIGURES = {"total": 0, "rounds": 0, "late": 0, "joined": []}
LIVE_ITEM = [OrderItem.Status.QUEUED, OrderItem.Status.COOKING, OrderItem.Status.READY]


def meal_figures(*, restaurant: Restaurant) -> dict[int, dict]:
    """Per open meal of ``restaurant`` (by session id): `total`, `rounds`, `late` and
    `joined`, as `floor_tables` describes them. Four queries, whatever the number of tables."""
    figures: dict[int, dict] = {}

    def of(session_id: int) -> dict:
        return figures.setdefault(session_id, {**EMPTY_FIGURES, "joined": []})

    live_orders = Order.objects.filter(
        restaurant=restaurant, session__status=DiningSession.Status.OPEN
    ).exclude(status=Order.Status.CANCELLED)
    for session_id, rounds in (
        live_orders.order_by().values_list("session_id").annotate(n=Count("pk"))
    ):
        of(session_id)["rounds"] = rounds
    items = OrderItem.objects.filter(order__in=live_orders).order_by()
    charged = items.exclude(status=OrderItem.Status.VOIDED).filter(comped=False)
    for session_id, total in charged.values_list("order__session_id").annotate(
        total=Sum(F("unit_price") * F("qty"))
    ):
        of(session_id)["total"] = total or 0
    late = items.filter(status__in=LIVE_ITEM, target_at__lt=timezone.now())
    for session_id, n in late.values_list("order__session_id").annotate(n=Count("pk")):
        of(session_id)["late"] = n
    joins = MealTransfer.objects.filter(
        restaurant=restaurant, kind=MealTransfer.Kind.JOIN, undone_at=None,
        into__status=DiningSession.Status.OPEN,
    ).select_related("from_table")  # fmt: skip
    for join in joins.order_by("at", "pk"):
        table = join.from_table
        of(join.into_id)["joined"].append(
            {"transfer_id": join.pk, "number": table.number, "label": table.label}
        )
    return figures
