"""The menu as the hot path reads it: every dish of a restaurant with its option groups and
options, cached per process and keyed by the restaurant and its `Restaurant.menu_version`.

A cart op used to read the dish, its option groups and their options: three queries of every
op's nine. The version comes with the op's first query (`session_of_diner_lock`), and every
menu change bumps it in its own transaction (restaurant/menu/signals.py), so a process sees a
dish sold out exactly when it would have by reading the dish. The catalog is rebuilt whole
(three queries) when the version moves; it is replaced, never changed, so threads may share it.
A restaurant's catalog holds its own dishes only: another restaurant's dish id is not on it.
"""

from dataclasses import dataclass

from restaurant.menu.models import Dish, Option, OptionGroup


@dataclass(frozen=True)
class Catalog:
    restaurant_id: int
    version: int
    dishes: dict[int, Dish]
    groups: dict[int, list[OptionGroup]]  # by dish id, in menu order; each with `.choices`
    # (a group offered on several dishes is the same object in each list)
    options: dict[int, Option]


# The newest catalog read of each restaurant, by its id. Swapped whole, never changed.
_current: dict[int, Catalog] = {}


def catalog(restaurant_id: int, version: int) -> Catalog:
    """The restaurant's menu at ``version`` (read from the database in the caller's
    transaction)."""
    cached = _current.get(restaurant_id)
    if cached is not None and cached.version == version:
        return cached
    dishes = {dish.pk: dish for dish in Dish.objects.filter(restaurant_id=restaurant_id)}
    options = {
        option.pk: option for option in Option.objects.filter(group__restaurant_id=restaurant_id)
    }
    by_group: dict[int, list[Option]] = {}
    for option in options.values():
        by_group.setdefault(option.group_id, []).append(option)
    # Each dish's groups, read through the link table with the group (one query): a group
    # offered on many dishes is one object in all their lists.
    links = (
        Dish.option_groups.through.objects.filter(optiongroup__restaurant_id=restaurant_id)
        .select_related("optiongroup")
        .order_by("optiongroup__sort_order", "optiongroup_id")
    )
    shared: dict[int, OptionGroup] = {}
    groups: dict[int, list[OptionGroup]] = {}
    for link in links:
        group = shared.get(link.optiongroup_id)
        if group is None:
            group = shared[link.optiongroup_id] = link.optiongroup
            group.choices = by_group.get(group.pk, [])
        groups.setdefault(link.dish_id, []).append(group)
    fresh = Catalog(restaurant_id, version, dishes, groups, options)
    _current[restaurant_id] = fresh
    return fresh


def forget() -> None:
    """Drop the cache (tests that change the menu under a running process), the ordering
    rules' too (restaurant/menu/hours.py: cached the same way)."""
    from restaurant.menu import hours

    _current.clear()
    hours.forget()
