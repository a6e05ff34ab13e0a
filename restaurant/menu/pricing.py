"""Prices are computed here and only here: a dish's price plus its chosen options', plus the
dish's packing fee for a portion packed to take away (打包)."""

from collections.abc import Iterable

from restaurant.menu.models import Dish, Option


def options_by_id(option_ids: Iterable[int]) -> dict[int, Option]:
    ids = set(option_ids)
    if not ids:
        return {}
    return {o.pk: o for o in Option.objects.filter(pk__in=ids)}


def unit_price(
    dish: Dish, option_ids: Iterable[int], options: dict[int, Option], *, takeaway: bool = False
) -> int:
    """One portion, in minor units: the dish, its chosen options (``options``: by id, those
    not in it count nothing) and, packed to take away, the dish's `packing_fee` (a set meal's
    own fee: the set is packed as one)."""
    fee = dish.packing_fee if takeaway else 0
    return dish.price + sum(options[i].price for i in option_ids if i in options) + fee
