"""Prices are computed here and only here: a dish's price plus its chosen options'."""

from collections.abc import Iterable

from restaurant.menu.models import Dish, Option


def options_by_id(option_ids: Iterable[int]) -> dict[int, Option]:
    ids = set(option_ids)
    if not ids:
        return {}
    return {o.pk: o for o in Option.objects.filter(pk__in=ids)}


def unit_price(dish: Dish, option_ids: Iterable[int], options: dict[int, Option]) -> int:
    return dish.price + sum(options[i].price for i in option_ids if i in options)
