"""The menu as the hot path reads it: every dish with its option groups and options, cached
per process and keyed by `Restaurant.menu_version`.

A cart op used to read the dish, its option groups and their options: three queries of every
op's nine. The version comes with the op's first query (`session_of_diner_lock`), and every
menu change bumps it in its own transaction (restaurant/menu/signals.py), so a process sees a
dish sold out exactly when it would have by reading the dish. The catalog is rebuilt whole
(three queries) when the version moves; it is replaced, never changed, so threads may share it.
"""

from dataclasses import dataclass

from restaurant.menu.models import Dish, Option, OptionGroup


@dataclass(frozen=True)
class Catalog:
    version: int
    dishes: dict[int, Dish]
    groups: dict[int, list[OptionGroup]]  # by dish id, in menu order; each with `.choices`
    options: dict[int, Option]


_current: Catalog | None = None


def catalog(version: int) -> Catalog:
    """The menu at ``version`` (read from the database in the caller's transaction)."""
    global _current
    cached = _current
    if cached is not None and cached.version == version:
        return cached
    dishes = {dish.pk: dish for dish in Dish.objects.all()}
    options = {option.pk: option for option in Option.objects.all()}
    by_group: dict[int, list[Option]] = {}
    for option in options.values():
        by_group.setdefault(option.group_id, []).append(option)
    groups: dict[int, list[OptionGroup]] = {}
    for group in OptionGroup.objects.all():
        group.choices = by_group.get(group.pk, [])
        groups.setdefault(group.dish_id, []).append(group)
    _current = Catalog(version, dishes, groups, options)
    return _current


def forget() -> None:
    """Drop the cache (tests that change the menu under a running process)."""
    global _current
    _current = None
