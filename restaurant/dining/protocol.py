"""The diner socket's inbound messages (docs/protocol.md), validated strictly: unknown fields,
such as a price from the client, are refused."""

from typing import Annotated

import msgspec
from msgspec import Meta

Id = Annotated[int, Meta(ge=1, le=2**62)]
# Text without control characters (NUL cannot even be stored by PostgreSQL); tab and
# newlines are allowed in free text.
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
OpId = Annotated[str, Meta(min_length=1, max_length=64, pattern=NO_CONTROL)]


def text(max_length: int, min_length: int = 0):
    return Annotated[str, Meta(min_length=min_length, max_length=max_length, pattern=NO_CONTROL)]


class _Op(msgspec.Struct, forbid_unknown_fields=True, tag_field="type"):
    id: OpId


class CartAdd(_Op, tag="cart.add"):
    dish_id: Id
    qty: Annotated[int, Meta(ge=1, le=99)] = 1
    options: Annotated[list[Id], Meta(max_length=32)] = []
    note: text(140) = ""
    # Whose line it is, when not the sender's: putting back a line someone removed ("Undo")
    # keeps it on its diner's bill. A diner of the same meal.
    added_by: Id | None = None
    # Shared by the table (a starter for everyone): the check splits it among the diners.
    shared: bool = False
    # Packed to take away (打包): each portion costs the dish's packing fee more.
    takeaway: bool = False


class CartSetQty(_Op, tag="cart.set_qty"):
    line_id: Id
    qty: Annotated[int, Meta(ge=0, le=99)]


class CartRemove(_Op, tag="cart.remove"):
    line_id: Id


class DinerRename(_Op, tag="diner.rename"):
    name: text(200)


class OrderSubmit(_Op, tag="order.submit"):
    seq: Annotated[int, Meta(ge=0)]


class WaiterCall(_Op, tag="waiter.call"):
    reason: text(60, min_length=1)


class ItemNudge(_Op, tag="item.nudge"):
    """Hurry a late dish of the meal (催菜); the kitchen applies it (kitchen/items.py)."""

    item_id: Id


class MealSet(_Op, tag="meal.set"):
    """The meal's guest count and/or its note to the kitchen (restaurant/dining/meal.py);
    a field left out (or null) is left as it is."""

    guests: Annotated[int, Meta(ge=1, le=99)] | None = None
    note: text(140) | None = None


class Sync(_Op, tag="sync"):
    pass


DINER_OPS: dict[str, type[_Op]] = {
    cls.__struct_config__.tag: cls
    for cls in (
        CartAdd,
        CartSetQty,
        CartRemove,
        DinerRename,
        OrderSubmit,
        WaiterCall,
        ItemNudge,
        MealSet,
        Sync,
    )
}
