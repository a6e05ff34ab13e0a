"""What apps above the kitchen plug into it (registered in their AppConfig.ready): the kitchen
never imports them (pyproject.toml, [tool.importlinter]).

- `round_submitted_register(fn)`: ``fn(order)`` runs INSIDE the transaction that creates a
  round, after its items: what it writes (a print job) commits or rolls back with the round.
- `round_confirmed_register(fn)`: ``fn(order)`` runs inside the transaction in which staff
  accept a round that was held for them (`Order.awaiting_confirmation`): from then on it may
  be cooked (its tickets print then, not at submit).
- `round_held_again_register(fn)`: ``fn(order)`` runs inside the transaction in which
  staff take back their accept of a held round: it waits for them again (tickets not yet
  printed wait with it).
- `item_voided_register(fn)`: ``fn(item)`` runs inside the transaction that voids a sent
  item, on its own or with its round (a void slip for its station).
- `item_unvoided_register(fn)`: ``fn(item)`` runs inside the transaction that takes a void
  back (the item's recall, or its round's): the dish is owed again.
- `snapshot_part_register(name, fn)`: ``fn(restaurant) -> JSON`` adds ``name`` to every staff
  socket's snapshot (the printers' state).
- `staff_op_register(op_cls, handler, action)`: a staff socket op of another app, applied
  like the kitchen's own (role asked, idempotent per user): ``handler(op, staff)``.
"""

from collections.abc import Callable

from restaurant.kitchen.protocol import KITCHEN_OPS

ROUND_SUBMITTED: list[Callable] = []
ROUND_CONFIRMED: list[Callable] = []
ROUND_HELD_AGAIN: list[Callable] = []
ITEM_VOIDED: list[Callable] = []
ITEM_UNVOIDED: list[Callable] = []
SNAPSHOT_PARTS: dict[str, Callable] = {}
STAFF_OPS: dict[type, tuple[Callable, object]] = {}


def round_submitted_register(fn: Callable) -> None:
    if fn not in ROUND_SUBMITTED:
        ROUND_SUBMITTED.append(fn)


def round_confirmed_register(fn: Callable) -> None:
    if fn not in ROUND_CONFIRMED:
        ROUND_CONFIRMED.append(fn)


def round_held_again_register(fn: Callable) -> None:
    if fn not in ROUND_HELD_AGAIN:
        ROUND_HELD_AGAIN.append(fn)


def item_voided_register(fn: Callable) -> None:
    if fn not in ITEM_VOIDED:
        ITEM_VOIDED.append(fn)


def item_unvoided_register(fn: Callable) -> None:
    if fn not in ITEM_UNVOIDED:
        ITEM_UNVOIDED.append(fn)


def snapshot_part_register(name: str, fn: Callable) -> None:
    SNAPSHOT_PARTS[name] = fn


def staff_op_register(op_cls: type, handler: Callable, action) -> None:
    """``op_cls``: a msgspec Struct tagged with its ``type`` (restaurant/kitchen/protocol.py's
    `_Op`); ``action``: the `Action` a role must hold for it."""
    STAFF_OPS[op_cls] = (handler, action)
    KITCHEN_OPS[op_cls.__struct_config__.tag] = op_cls  # the sockets decode it from now on
