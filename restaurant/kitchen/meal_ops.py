"""Staff socket ops on a table's meal and on ordering itself, registered with the kitchen's
own (KitchenConfig.ready): a meal's guest count and note (`table.meal_set`), and the pause
switch (`ordering.pause`)."""

from typing import Annotated

from msgspec import Meta

from restaurant.dining.meal import meal_set
from restaurant.dining.models import DiningSession
from restaurant.dining.protocol import Id, text
from restaurant.dining.services import session_lock
from restaurant.kitchen.protocol import _Op
from restaurant.menu.services import ordering_pause_set
from restaurant.realtime.errors import OpError


class TableMealSet(_Op, tag="table.meal_set"):
    """A table's meal: its guest count (人数) and/or note (整单备注); null leaves one as is."""

    table: Id
    guests: Annotated[int, Meta(ge=1, le=99)] | None = None
    note: text(140) | None = None


class OrderingPause(_Op, tag="ordering.pause"):
    """Pause ordering (a swamped kitchen), or let it go on: the whole menu, or a category."""

    paused: bool
    note: text(120) = ""
    category_id: Id | None = None


def table_meal_set(op: TableMealSet, staff) -> None:
    """The open meal of table number ``op.table`` of the staff's restaurant (`not_found`
    otherwise, another restaurant's table included)."""
    session_id = (
        DiningSession.objects.filter(
            restaurant=staff.restaurant, table__number=op.table, status=DiningSession.Status.OPEN
        )
        .values_list("pk", flat=True)
        .first()
    )
    if session_id is None:
        raise OpError("not_found", "no open meal at that table", detail="meal")
    meal_set(session=session_lock(session_id), guests=op.guests, note=op.note)


def ordering_pause(op: OrderingPause, staff) -> None:
    ordering_pause_set(
        restaurant=staff.restaurant, paused=op.paused, note=op.note, category_id=op.category_id
    )
