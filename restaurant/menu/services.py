"""Menu changes. Every change, from the admin, the kitchen or a command, is announced here so
that open menus hear of it after commit: `menu.dish` for a dish sold out or repriced,
`menu.changed` for anything else (restaurant/menu/signals.py)."""

from django.db import transaction

from restaurant.menu.models import Dish, Restaurant
from restaurant.realtime import groups
from restaurant.realtime.broadcast import group_message, send_now
from restaurant.realtime.errors import OpError


def menu_dish_event(dish: Dish) -> dict:
    return {"type": "menu.dish", "dish_id": dish.pk, "sold_out": dish.sold_out, "price": dish.price}


def _menu_version() -> int | None:
    return Restaurant.objects.order_by("pk").values_list("menu_version", flat=True).first()


def _send_menu_event(event: dict) -> None:
    """After commit: the event with the menu version as committed (a page whose copy is one
    version behind a `menu.dish` knows it is current again; further behind, it refetches)."""
    send_now(groups.MENU, group_message("menu.event", {**event, "version": _menu_version()}))


def _send_menu_changed() -> None:
    _send_menu_event({"type": "menu.changed"})


def menu_changed_announce() -> None:
    """Call inside the transaction that changed the menu (restaurant/menu/signals.py does, for
    every row saved or deleted): once it commits, every open menu hears `menu.changed
    {version}` and fetches the menu again. Once per transaction, however many rows."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        func is _send_menu_changed for _, func, _ in connection.run_on_commit
    ):
        return
    transaction.on_commit(_send_menu_changed)


def menu_dish_changed(*, dish: Dish) -> None:
    """Call inside the transaction that changed ``dish`` (its save bumped the menu version):
    tell every table and the kitchen once it commits."""
    event = menu_dish_event(dish)
    transaction.on_commit(lambda: _send_menu_event(event))


@transaction.atomic
def dish_set_sold_out(*, dish_id: int, sold_out: bool) -> Dish:
    dish = Dish.objects.select_for_update().filter(pk=dish_id).first()
    if dish is None:
        raise OpError("not_found", "that dish is not on the menu", detail="dish", dish_id=dish_id)
    if dish.sold_out != sold_out:
        dish.sold_out = sold_out
        dish.save(update_fields=["sold_out"])
        menu_dish_changed(dish=dish)
    return dish
