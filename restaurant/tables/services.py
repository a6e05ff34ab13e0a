"""Staff actions on tables. Opening and closing a table are `dining.services.session_open`
and `session_close`."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, group_message
from restaurant.tables.models import Table, new_table_token
from restaurant.venues.models import Restaurant


def floor_changed(*, table_id: int, restaurant_id: int) -> None:
    """Tell the table's restaurant's staff floor that the table's state changed (after
    commit); it refetches. Here, below the apps whose changes show on the floor (dining,
    kitchen), so each can call it."""
    broadcast_on_commit(
        groups.kitchen_group(restaurant_id),
        group_message("kitchen.event", {"type": "floor.table", "table_id": table_id}),
    )


@transaction.atomic
def table_token_rotate(*, table: Table) -> Table:
    """The old QR code stops working at once; sockets opened with it are closed (4403)."""
    table = Table.objects.select_for_update().get(pk=table.pk)
    table.token = new_table_token()
    table.token_rotated_at = timezone.now()
    table.save(update_fields=["token", "token_rotated_at"])
    broadcast_on_commit(groups.table_group(table.pk), group_message("table.revoked"))
    floor_changed(table_id=table.pk, restaurant_id=table.restaurant_id)
    return table


@transaction.atomic
def tables_add(*, restaurant: Restaurant, count: int) -> list[Table]:
    """``count`` new tables at ``restaurant``, numbered on from its highest (1..count for a
    new restaurant), each with its own token. ``count`` 0 adds none."""
    if count < 0:
        raise ValueError("count must be 0 or more")
    start = (
        Table.objects.select_for_update()
        .filter(restaurant=restaurant)
        .aggregate(highest=Max("number"))["highest"]
        or 0
    )
    tables = [Table(restaurant=restaurant, number=start + i) for i in range(1, count + 1)]
    for table in tables:
        table.save()
    return tables
