"""Reads for the kitchen display, and what a meal shows of the kitchen."""

from datetime import timedelta

from django.db.models import Prefetch
from django.utils import timezone

from restaurant.dining.models import DiningSession
from restaurant.kitchen import hooks
from restaurant.kitchen.adjustments import adjust_reasons, adjustments_pending
from restaurant.kitchen.items import staff_station_id
from restaurant.kitchen.models import ItemMove, Order, OrderItem, OrderMove, WaiterCall
from restaurant.kitchen.payloads import call_payload, meal_of, order_payload, station_payload
from restaurant.kitchen.rules import recall_window
from restaurant.kitchen.services import FINAL, recall_until, waiter_call_event
from restaurant.menu.hours import ordering_state, rules
from restaurant.menu.selectors import dishes_sold_out
from restaurant.menu.stock import stock_counts
from restaurant.venues.models import Restaurant, Station


def order_with_table(order: Order) -> dict:
    table = order.session.table
    return {**order_payload(order), "table": {"number": table.number, "label": table.label},
            "meal": meal_of(order.session)}  # fmt: skip


def kitchen_open_orders(*, restaurant: Restaurant) -> list[dict]:
    """The restaurant's orders not yet served or cancelled, oldest first."""
    orders = (
        Order.objects.filter(restaurant=restaurant)
        .exclude(status__in=FINAL)
        .select_related("session__table")
        .prefetch_related("items")
        .order_by("created_at", "pk")
    )
    return [order_with_table(o) for o in orders]


def kitchen_recent_orders(
    *, restaurant: Restaurant, hours: float = 12, limit: int = 80
) -> list[dict]:
    """The restaurant's served and cancelled orders of the shift, last finished first, each
    with `finished_at` and `recall_until` (until when its last move may be taken back; null
    when it may not)."""
    since = timezone.now() - timedelta(hours=hours)
    orders = (
        Order.objects.filter(restaurant=restaurant, status__in=FINAL, status_changed_at__gte=since)
        .select_related("session__table")
        .prefetch_related("items", Prefetch("moves", OrderMove.objects.order_by("-at", "-pk")))
        .order_by("-status_changed_at", "-pk")[:limit]
    )
    result = []
    now = timezone.now()
    for order in orders:
        last = next(iter(order.moves.all()), None)
        until = recall_until(last) if last and last.to_status == order.status else None
        until = until if until and until > now else None
        result.append({
            **order_with_table(order),
            "finished_at": order.status_changed_at.isoformat(),
            "recall_until": until.isoformat() if until else None,
        })  # fmt: skip
    return result


def kitchen_recent_items(
    *,
    restaurant: Restaurant,
    station_id: int | None = None,
    hours: float = 12,
    limit: int = 200,
) -> list[dict]:
    """The shift's served and voided dishes of ``restaurant`` (of one station when
    ``station_id``), last finished first: a station's history, where a dish sent out stays
    findable. Each: ``{item_id, dish_id, order_id, round, table, station_id, name, qty,
    option_names, note, status, status_at, void_reason, recall_until}`` (``recall_until``:
    until when its last move may be taken back, null when it may not)."""
    since = timezone.now() - timedelta(hours=hours)
    items = OrderItem.objects.filter(
        order__restaurant=restaurant,
        status__in=(OrderItem.Status.SERVED, OrderItem.Status.VOIDED),
        status_changed_at__gte=since,
    )
    if station_id is not None:
        items = items.filter(station_id=station_id)
    items = (
        items.select_related("order__session__table")
        .prefetch_related(Prefetch("moves", ItemMove.objects.order_by("-at", "-pk")))
        .order_by("-status_changed_at", "-pk")[:limit]
    )  # fmt: skip
    now, window = timezone.now(), recall_window()
    result = []
    for item in items:
        last = next(iter(item.moves.all()), None)
        takes_back = (
            last is not None and not last.recall and last.order_move_id is None
            and last.to_status == item.status and last.at + window > now
        )  # fmt: skip
        table = item.order.session.table
        result.append({
            "item_id": item.pk, "dish_id": item.dish_id, "order_id": item.order_id,
            "round": item.order.round,
            "table": {"number": table.number, "label": table.label},
            "station_id": item.station_id, "name": item.name, "qty": item.qty,
            "option_names": item.option_names, "note": item.note, "status": item.status,
            "status_at": item.status_changed_at.isoformat(), "void_reason": item.void_reason,
            "recall_until": (last.at + window).isoformat() if takes_back else None,
        })  # fmt: skip
    return result


def waiter_calls_open(*, restaurant: Restaurant) -> list[dict]:
    calls = WaiterCall.objects.filter(
        restaurant=restaurant, status=WaiterCall.Status.OPEN
    ).select_related("table")
    return [{k: v for k, v in waiter_call_event(c).items() if k != "type"} for c in calls]


def restaurant_menu_version(restaurant: Restaurant) -> int:
    """The version as committed (``restaurant`` may have been loaded at the handshake)."""
    return Restaurant.objects.values_list("menu_version", flat=True).get(pk=restaurant.pk)


def kitchen_snapshot(
    *, restaurant: Restaurant, calls: bool = True, user_id: int | None = None
) -> dict:
    """What a staff socket of ``restaurant`` starts from. ``calls``: whether this socket is
    told of waiter calls (the floor always; the kitchen display where the restaurant shows
    them there). Without, `calls` is empty. `stations`: the restaurant's, in order;
    `my_station_id`: the one station ``user_id`` is kept to there, or null;
    `adjust_reasons` and `adjustments_pending` (restaurant/kitchen/adjustments.py). The apps above
    the kitchen add their parts (the printers: restaurant/kitchen/hooks.py)."""
    counts = stock_counts(restaurant=restaurant)  # 限量: read once for both parts
    return {
        "type": "snapshot",
        "orders": kitchen_open_orders(restaurant=restaurant),
        "calls": waiter_calls_open(restaurant=restaurant) if calls else [],
        "dishes_sold_out": dishes_sold_out(restaurant=restaurant, counts=counts),
        # 限量: {dish id: portions left today} of the counted dishes (restaurant/menu/stock.py).
        "dish_stock": {str(pk): n for pk, n in counts.items()},
        "stations": [station_payload(s) for s in Station.objects.filter(restaurant=restaurant)],
        "my_station_id": staff_station_id(restaurant, user_id),
        # What a dish may be taken back or given free for, and what waits for a manager.
        "adjust_reasons": adjust_reasons(restaurant),
        "adjustments_pending": adjustments_pending(restaurant),
        # Whether the restaurant takes orders now (the pause switch, service hours).
        "ordering": ordering_state(rules(restaurant.pk, restaurant_menu_version(restaurant))),
        **{name: part(restaurant) for name, part in hooks.SNAPSHOT_PARTS.items()},
    }


# What a meal shows of the kitchen, as the table sees it: the diner's snapshot and the bill
# (restaurant/dining/selectors.py) read these, registered in KitchenConfig.ready.


def meal_orders(session: DiningSession) -> list[dict]:
    """The meal's rounds, first first."""
    return [order_payload(o) for o in session.orders.prefetch_related("items").order_by("round")]


def meal_calls(session: DiningSession) -> list[dict]:
    """The meal's waiter calls, answered ones too: the whole table follows each one."""
    return [call_payload(c) for c in WaiterCall.objects.filter(session=session)]
