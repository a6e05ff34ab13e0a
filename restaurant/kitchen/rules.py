"""What the kitchen's writers share: the recall window, the refusal of a role's action, and
how the restaurant's kitchen and floor sockets are told."""

from datetime import timedelta

from django.conf import settings

from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, group_message
from restaurant.realtime.errors import OpError
from restaurant.venues.roles import Action


def forbidden(action: Action) -> OpError:
    return OpError("forbidden", f"your role here may not do {action}", action=str(action))


def recall_window() -> timedelta:
    """How long staff may take back a move (settings.RESTAURANT["RECALL_SECONDS"])."""
    return timedelta(seconds=settings.RESTAURANT["RECALL_SECONDS"])


def tell_kitchen(restaurant_id: int, event: dict) -> None:
    """After commit, to the restaurant's kitchen display and floor sockets (none other's)."""
    broadcast_on_commit(groups.kitchen_group(restaurant_id), group_message("kitchen.event", event))
