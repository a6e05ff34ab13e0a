"""Menu changes. Every change, from the admin, the kitchen or a command, is announced here so
that the open menus of its restaurant (and no other's) hear of it after commit: `menu.dish`
for a dish sold out or repriced, `menu.changed` for anything else
(restaurant/menu/signals.py)."""

from dataclasses import dataclass

from django.db import transaction

from restaurant.menu.models import Category, Dish
from restaurant.realtime import groups
from restaurant.realtime.broadcast import group_message, on_commit_once, send_now
from restaurant.realtime.errors import OpError
from restaurant.venues.models import Restaurant


def menu_dish_event(dish: Dish) -> dict:
    """`sold_out`: switched off, or counted with none left; `stock`, of a counted dish only:
    portions left today (restaurant/menu/stock.py). An uncounted dish's event is as it was."""
    event = {"type": "menu.dish", "dish_id": dish.pk, "sold_out": dish.is_sold_out,
             "price": dish.price}  # fmt: skip
    if dish.stock is not None:
        event["stock"] = dish.stock
    return event


def _menu_version(restaurant_id: int) -> int | None:
    return (
        Restaurant.objects.filter(pk=restaurant_id).values_list("menu_version", flat=True).first()
    )


def _send_menu_event(restaurant_id: int, event: dict) -> None:
    """After commit: the event with the restaurant's menu version as committed (a page whose
    copy is one version behind a `menu.dish` knows it is current again; further behind, it
    refetches), to that restaurant's menus only."""
    version = _menu_version(restaurant_id)
    message = group_message("menu.event", {**event, "version": version})
    send_now(groups.menu_group(restaurant_id), message)


@dataclass(frozen=True)
class _MenuChanged:
    """The on-commit announcement of one restaurant's `menu.changed` (one per transaction)."""

    restaurant_id: int

    def __call__(self) -> None:
        _send_menu_event(self.restaurant_id, {"type": "menu.changed"})


def menu_changed_announce(*, restaurant_id: int) -> None:
    """Call inside the transaction that changed the restaurant's menu (restaurant/menu/
    signals.py does, for every row saved or deleted): once it commits, every open menu of
    that restaurant hears `menu.changed {version}` and fetches the menu again. Once per
    transaction and restaurant, however many rows."""
    on_commit_once(_MenuChanged(restaurant_id))


def menu_dish_changed(*, dish: Dish, version: int | None = None) -> None:
    """Call inside the transaction that changed ``dish`` (its save bumped its restaurant's
    menu version): tell that restaurant's tables and staff once it commits. ``version``: a
    change that did not bump it (a dish's count, restaurant/menu/stock.py) may pass the version
    it read, sparing the read after commit (a page at that version or past it only applies
    the event)."""
    event, restaurant_id = menu_dish_event(dish), dish.restaurant_id
    if version is None:
        transaction.on_commit(lambda: _send_menu_event(restaurant_id, event))
    else:
        message = group_message("menu.event", {**event, "version": version})
        transaction.on_commit(lambda: send_now(groups.menu_group(restaurant_id), message))


@transaction.atomic
def dish_set_sold_out(*, restaurant: Restaurant, dish_id: int, sold_out: bool) -> Dish:
    """Mark one of ``restaurant``'s dishes sold out or back. Another restaurant's dish id is
    answered exactly as an unknown one."""
    dish = Dish.objects.select_for_update().filter(pk=dish_id, restaurant=restaurant).first()
    if dish is None:
        raise OpError("not_found", "that dish is not on the menu", detail="dish", dish_id=dish_id)
    if dish.sold_out != sold_out:
        dish.sold_out = sold_out
        dish.save(update_fields=["sold_out"])
        menu_dish_changed(dish=dish)
    return dish


@transaction.atomic
def ordering_pause_set(
    *, restaurant: Restaurant, paused: bool, note: str = "", category_id: int | None = None
) -> None:
    """Pause ordering (a swamped kitchen) or let it go on: the whole restaurant, or one of its
    categories (``category_id``; another restaurant's is `not_found`). ``note`` (≤ 120 chars)
    is what diners read while the whole restaurant is paused. Phones, kitchen and floor hear
    `ordering` on commit (restaurant/menu/hours.py); the menu itself does not change."""
    from restaurant.menu.hours import ordering_announce
    from restaurant.menu.signals import menu_version_bump

    if category_id is not None:
        changed = Category.objects.filter(pk=category_id, restaurant=restaurant).update(
            ordering_paused=paused
        )
        if not changed:
            raise OpError("not_found", "that category is not on the menu", detail="category")
    else:
        Restaurant.objects.filter(pk=restaurant.pk).update(
            ordering_paused=paused, pause_note=note[:120] if paused else ""
        )
    # The rules are read per menu version (hours.rules): a new version, no menu refetch.
    menu_version_bump(restaurant_id=restaurant.pk, announce=False)
    ordering_announce(restaurant_id=restaurant.pk)
