"""The kitchen socket's inbound messages (docs/protocol.md, `/ws/kitchen/`)."""

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from restaurant.dining.protocol import Id, OpId, text


class _Op(msgspec.Struct, forbid_unknown_fields=True, tag_field="type"):
    id: OpId


class OrderSetStatus(_Op, tag="order.set_status"):
    order_id: Id
    status: Annotated[str, Meta(max_length=16)]
    reason: text(120) = ""  # why a round is cancelled; the table sees it


class OrderRecall(_Op, tag="order.recall"):
    """Take back the order's last status move (within the recall window)."""

    order_id: Id


class ItemSetStatus(_Op, tag="item.set_status"):
    """Move one dish of a round (restaurant/kitchen/items.py): cooking, ready, served, or
    voided with a reason."""

    item_id: Id
    status: Annotated[str, Meta(max_length=16)]
    reason: text(120) = ""  # why a dish is taken back (退菜); the table sees it


class ItemRecall(_Op, tag="item.recall"):
    """Take back the dish's last move (within the recall window)."""

    item_id: Id


class ItemAdjust(_Op, tag="item.adjust"):
    """Take ``qty`` of a sent dish back (``void``) or give it free (``comp``), for one of the
    restaurant's reasons (restaurant/kitchen/adjustments.py)."""

    item_id: Id
    kind: Annotated[str, Meta(max_length=8)]
    qty: Annotated[int, Meta(ge=1, le=999)]
    reason_id: Id


class AdjustDecide(_Op, tag="adjust.decide"):
    """A manager approves or refuses a pending adjustment."""

    adjustment_id: Id
    approve: bool


class DishSetSoldOut(_Op, tag="dish.set_sold_out"):
    dish_id: Id
    sold_out: bool


class DishSetStock(_Op, tag="dish.set_stock"):
    """限量: ``stock`` portions left today (null: not counted); ``par``, when sent, what each
    business day starts with (null: none). restaurant/menu/stock.py."""

    dish_id: Id
    # Ranges are the service's to check (`dish_set_stock`): its refusal says `detail: "stock"`.
    stock: int | None
    par: int | UnsetType | None = UNSET


class WaiterDone(_Op, tag="waiter.done"):
    call_id: Id


class WaiterSeen(_Op, tag="waiter.seen"):
    """Staff saw the call (someone is coming); `waiter.done` when answered."""

    call_id: Id


class Sync(_Op, tag="sync"):
    pass


KITCHEN_OPS: dict[str, type[_Op]] = {
    cls.__struct_config__.tag: cls
    for cls in (
        OrderSetStatus,
        OrderRecall,
        ItemSetStatus,
        ItemRecall,
        ItemAdjust,
        AdjustDecide,
        DishSetSoldOut,
        DishSetStock,
        WaiterDone,
        WaiterSeen,
        Sync,
    )
}
