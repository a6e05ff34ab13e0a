"""The diner socket's inbound messages (PROTOCOL.md), validated strictly: unknown fields,
such as a price from the client, are refused."""

from typing import Annotated

import msgspec
from msgspec import Meta

Id = Annotated[int, Meta(ge=1, le=2**62)]
OpId = Annotated[str, Meta(min_length=1, max_length=64)]


class _Op(msgspec.Struct, forbid_unknown_fields=True, tag_field="type"):
    id: OpId


class CartAdd(_Op, tag="cart.add"):
    dish_id: Id
    qty: Annotated[int, Meta(ge=1, le=99)] = 1
    options: Annotated[list[Id], Meta(max_length=32)] = []
    note: Annotated[str, Meta(max_length=140)] = ""


class CartSetQty(_Op, tag="cart.set_qty"):
    line_id: Id
    qty: Annotated[int, Meta(ge=0, le=99)]


class CartRemove(_Op, tag="cart.remove"):
    line_id: Id


class DinerRename(_Op, tag="diner.rename"):
    name: Annotated[str, Meta(max_length=200)]


class OrderSubmit(_Op, tag="order.submit"):
    seq: Annotated[int, Meta(ge=0)]


class WaiterCall(_Op, tag="waiter.call"):
    reason: Annotated[str, Meta(min_length=1, max_length=60)]


class Sync(_Op, tag="sync"):
    pass


DINER_OPS: dict[str, type[_Op]] = {
    cls.__struct_config__.tag: cls
    for cls in (CartAdd, CartSetQty, CartRemove, DinerRename, OrderSubmit, WaiterCall, Sync)
}
