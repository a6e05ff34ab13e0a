"""The floor's staff socket ops (docs/protocol.md, `/ws/floor/`): moving, joining and
splitting meals. Applied like the kitchen's own ops (restaurant/kitchen/hooks.py,
`staff_op_register`): the role asked, idempotent per user by op id."""

from typing import Annotated

from msgspec import Meta

from restaurant.dining.protocol import Id
from restaurant.kitchen.protocol import _Op

TableNumber = Annotated[int, Meta(ge=1, le=2**31 - 1)]  # Table.number


class TableMove(_Op, tag="table.move"):
    """Move table ``table``'s open meal to the free table ``to``."""

    table: TableNumber
    to: TableNumber


class TableJoin(_Op, tag="table.join"):
    """Join table ``table``'s open meal into table ``into``'s."""

    table: TableNumber
    into: TableNumber


class TableSplit(_Op, tag="table.split"):
    """Undo the join ``transfer_id`` (a `MealTransfer` of kind join)."""

    transfer_id: Id


FLOOR_OPS = (TableMove, TableJoin, TableSplit)
