"""Menu changes. Every change, from the admin, the kitchen or a command, goes through here so
that open menus hear of it (`menu.dish`) after commit."""

from django.db import transaction

from restaurant.menu.models import Dish
from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, group_message
from restaurant.realtime.errors import OpError


def menu_dish_event(dish: Dish) -> dict:
    return {"type": "menu.dish", "dish_id": dish.pk, "sold_out": dish.sold_out, "price": dish.price}


def menu_dish_changed(*, dish: Dish) -> None:
    """Call inside the transaction that changed ``dish`` (its save bumped the menu version):
    tell every table and the kitchen once it commits."""
    message = group_message("menu.event", menu_dish_event(dish))
    broadcast_on_commit(groups.MENU, message)


@transaction.atomic
def dish_set_sold_out(*, dish_id: int, sold_out: bool) -> Dish:
    dish = Dish.objects.select_for_update().filter(pk=dish_id).first()
    if dish is None:
        raise OpError("not_found", f"no dish {dish_id}")
    if dish.sold_out != sold_out:
        dish.sold_out = sold_out
        dish.save(update_fields=["sold_out"])
        menu_dish_changed(dish=dish)
    return dish
