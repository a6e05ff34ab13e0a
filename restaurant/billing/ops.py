"""The phone's split ops on the table socket: "I'll pay for this dish" (`item.claim`) and
"we share this one" (`item.share`). Registered with the diner ops at startup (BillingConfig):
each runs in the op's transaction, under the meal's lock, with its idempotency."""

from typing import Annotated

from msgspec import Meta

from restaurant.billing.services import item_owners_set
from restaurant.dining import ops as diner_ops
from restaurant.dining import protocol as diner_protocol
from restaurant.dining.protocol import Id, _Op


class ItemClaim(_Op, tag="item.claim"):
    """The sender pays for dish ``item_id`` (``mine``), or lets go of their claim (not
    ``mine``: the dish goes back to who added it)."""

    item_id: Id
    mine: bool = True


class ItemShare(_Op, tag="item.share"):
    """Dish ``item_id`` is shared equally by ``diner_ids`` (diners of the meal; 2 or more).
    One or none: not shared any more (who added it pays)."""

    item_id: Id
    diner_ids: Annotated[list[Id], Meta(max_length=30)]


def item_claim(session, diner, op: ItemClaim) -> None:
    owners = [diner.pk] if op.mine else []
    if not op.mine:
        from restaurant.billing.selectors import meal_items, owners_of

        current = next((owners_of(i) for i in meal_items(session) if i.pk == op.item_id), ())
        if diner.pk not in current:
            return  # not theirs to let go of: nothing to do
        owners = [o for o in current if o != diner.pk]
        if len(owners) < 2:  # nobody to share it with: back to the default (who added it, or
            owners = []  # for a dish added as shared, the table)
    item_owners_set(session=session, item_id=op.item_id, diner_ids=owners, by_diner=diner.pk)


def item_share(session, diner, op: ItemShare) -> None:
    owners = op.diner_ids if len(set(op.diner_ids)) > 1 else []
    if not owners:  # stop sharing: who added it pays (for a dish added as shared too)
        from restaurant.billing.selectors import meal_items

        item = next((i for i in meal_items(session) if i.pk == op.item_id), None)
        if item is not None and item.shared:
            owners = [item.added_by_id]
    item_owners_set(session=session, item_id=op.item_id, diner_ids=owners, by_diner=diner.pk)


def register() -> None:
    for cls, handler in ((ItemClaim, item_claim), (ItemShare, item_share)):
        diner_protocol.DINER_OPS[cls.__struct_config__.tag] = cls
        diner_ops.handler_register(cls, handler)
