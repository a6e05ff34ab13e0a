"""Counted dishes (限量): "20 portions of duck today".

A dish with a `stock` has that many portions left to sell on its `stock_date` (a business day,
restaurant/venues/days.py). A round takes its portions in the transaction that creates it
(`stock_take`, from `order_submit`), under the dishes' row locks: two rounds racing for the last
portions queue on the lock, and the second reads what the first left. A void or a cancel gives
portions back to the day they were taken from (`stock_give_back`); the recall of a void takes
them again. Each business day starts with the dish's `stock_par`, or uncounted without one
(`stock_day_roll`): on the first take of the day, and once a minute from every process's upkeep
so that phones see the new day's counts without anyone ordering.

What a phone sees: `menu.dish {dish_id, sold_out, price, stock, version}` after each commit that
changed a count. Only a change into or out of 0 bumps the menu version (every process's catalog
must refuse or allow `cart.add` of it); the counts in between go out with the version as it is,
so a busy night of counted dishes does not make every process re-read the menu on every round.
"""

import datetime

from django.db import connection, transaction
from django.db.models import Q

from restaurant.menu.models import Dish
from restaurant.menu.services import menu_dish_changed
from restaurant.menu.signals import menu_version_bump
from restaurant.realtime.errors import OpError
from restaurant.venues.days import business_date
from restaurant.venues.models import Restaurant

# The counted dishes (`Dish.is_counted`, as a filter).
COUNTED = Q(stock__isnull=False) | Q(stock_par__isnull=False)


def stock_of(dish: Dish, today: datetime.date) -> int | None:
    """``dish``'s count for ``today`` (a business date): its own when it is of today, else the
    day's start (the par, or None: not counted), as `stock_day_roll` will soon store it. A
    dish made uncounted today stays so, whatever its par."""
    if dish.stock_date == today:
        return dish.stock
    return dish.stock_par


def dish_is_out(dish: Dish, today: datetime.date) -> bool:
    """Sold out on ``today``: switched off, or counted with none left today (a count of an
    earlier day is the new day's start, though the upkeep has not stored it yet)."""
    return dish.sold_out or stock_of(dish, today) == 0


def stock_counts(*, restaurant: Restaurant) -> dict[int, int]:
    """{dish id: portions left today} of ``restaurant``'s counted dishes (the kitchen's
    snapshot: `dish_stock`)."""
    today = business_date(restaurant)
    dishes = Dish.objects.filter(COUNTED)
    counts = {dish.pk: stock_of(dish, today) for dish in dishes.filter(restaurant=restaurant)}
    return {pk: count for pk, count in counts.items() if count is not None}


def _counted(restaurant_id: int, dish_ids) -> list[Dish]:
    """The counted ones among ``dish_ids`` (a count or a par), their rows locked, in id order:
    every writer of counts locks in that order, so two rounds never wait on each other in a
    circle."""
    return list(
        Dish.objects.select_for_update()
        .filter(COUNTED)
        .filter(restaurant_id=restaurant_id, pk__in=set(dish_ids))
        .order_by("pk")
    )


def _store(dish: Dish, stock: int | None, today: datetime.date) -> None:
    """Write ``dish``'s count (its row locked) and tell the restaurant's phones on commit. A
    `QuerySet.update`: the save signal would make every phone fetch the whole menu again."""
    was_out = dish.is_sold_out
    dish.stock, dish.stock_date = stock, today
    Dish.objects.filter(pk=dish.pk).update(stock=stock, stock_date=today)
    if dish.is_sold_out != was_out:
        menu_version_bump(restaurant_id=dish.restaurant_id, announce=False)
    menu_dish_changed(dish=dish)


def stock_take(
    *, restaurant_id: int, portions: dict[int, int], today: datetime.date, menu_version: int
) -> None:
    """Take ``portions`` ({dish id: qty}, a round's) from the counted dishes among them, inside
    the round's transaction. ``today``: the restaurant's business date; ``menu_version``: the
    version the round read (what the counts' events carry when they do not move it).

    Raises OpError `sold_out` (detail `stock`) when any counted dish has fewer left than asked:
    `dish_ids` (those short, sorted) and `left` ({"<dish id>": portions left}, 0 for none). The
    caller's transaction then rolls back whatever this took (the op's, as every refusal).

    The usual case is one statement a dish: a conditional decrement of today's count, which
    takes the row's lock and tests what is left in one go (a second round waits on the lock,
    then tests what the first left). A count of an earlier day, or too few, goes the long way,
    before the next dish: the row locked and read (`_counted`), the day started, the shortfall
    told. Each dish is done, either way, in id order: every writer of counts locks in that
    order, so two rounds (or a round and the day's upkeep) never wait on each other in a
    circle."""
    short: dict[int, int] = {}
    for pk in sorted(portions):
        row = _decrement(pk, restaurant_id, portions[pk], today)
        if row is None:
            for dish in _counted(restaurant_id, [pk]):
                count = stock_of(dish, today)
                if count is None:  # a par-less count from an earlier day: uncounted today
                    if dish.stock is not None:
                        _store(dish, None, today)
                elif count < portions[pk]:
                    short[pk] = count
                else:
                    _store(dish, count - portions[pk], today)
            continue
        stock, sold_out, price = row
        dish = Dish(pk=pk, restaurant_id=restaurant_id, price=price, sold_out=bool(sold_out))
        dish.stock = stock
        if stock == 0 and not sold_out:  # sold out now: every catalog must refuse it
            menu_version_bump(restaurant_id=restaurant_id, announce=False)
            menu_dish_changed(dish=dish)
        else:
            menu_dish_changed(dish=dish, version=menu_version)
    if short:
        raise OpError(
            "sold_out",
            "not enough left of some dishes: " + ", ".join(f"{n} left" for n in short.values()),
            detail="stock",
            dish_ids=sorted(short),
            left={str(pk): n for pk, n in sorted(short.items())},
        )


def _decrement(pk: int, restaurant_id: int, qty: int, today: datetime.date):
    """Today's count of dish ``pk`` less ``qty`` if it has that many: its (stock, sold_out,
    price) after, or None (not counted today, or too few; nothing changed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Dish._meta.db_table} SET stock = stock - %s"
            " WHERE id = %s AND restaurant_id = %s AND stock_date = %s AND stock >= %s"
            " RETURNING stock, sold_out, price",
            [qty, pk, restaurant_id, connection.ops.adapt_datefield_value(today), qty],
        )
        return cursor.fetchone()


def stock_give_back(*, restaurant_id: int, dish_id: int, qty: int, taken_at) -> None:
    """A voided or cancelled dish's ``qty`` portions go back to its count, when it is counted
    and still on the business day they were taken (``taken_at``: its round's submit time); an
    earlier day's portions were that day's, gone with it. Inside the void's transaction."""
    _give(restaurant_id, dish_id, qty, taken_at)


def stock_take_again(*, restaurant_id: int, dish_id: int, qty: int, taken_at) -> None:
    """A void taken back (a recall): the dish is owed again, so its portions are taken again,
    down to 0 at most (the kitchen has promised it; a count cannot go below nothing)."""
    _give(restaurant_id, dish_id, -qty, taken_at)


def _give(restaurant_id: int, dish_id: int, qty: int, taken_at) -> None:
    dishes = _counted(restaurant_id, [dish_id])
    if not dishes:
        return
    restaurant = Restaurant.objects.get(pk=restaurant_id)
    today = business_date(restaurant)
    if business_date(restaurant, taken_at) != today:
        return
    for dish in dishes:
        count = stock_of(dish, today)
        if count is not None:
            _store(dish, max(0, count + qty), today)


@transaction.atomic
def dish_set_stock(
    *, restaurant: Restaurant, dish_id: int, stock: int | None, par: int | None = ...
) -> Dish:
    """Set one of ``restaurant``'s dishes' count for today (kitchen or manager): ``stock``
    portions left (None: not counted), and, when given, ``par``, what each business day starts
    with (None: none). Counts are 0..9999. Another restaurant's dish id is answered exactly as
    an unknown one (`not_found`); a bad count is `bad_request` (detail `stock`)."""
    for value in (stock, None if par is ... else par):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9999
        ):
            raise OpError("bad_request", "a count is a whole number from 0 to 9999",
                          detail="stock")  # fmt: skip
    dish = Dish.objects.select_for_update().filter(pk=dish_id, restaurant=restaurant).first()
    if dish is None:
        raise OpError("not_found", "that dish is not on the menu", detail="dish", dish_id=dish_id)
    if (stock is not None or par not in (None, ...)) and dish.offers_dishes():
        raise OpError("bad_request", "a set meal is counted through its dishes", detail="stock",
                      dish_id=dish_id)  # fmt: skip
    if par is not ...:
        Dish.objects.filter(pk=dish.pk).update(stock_par=par)
        dish.stock_par = par
    _store(dish, stock, business_date(restaurant))
    return dish


def stock_day_roll(*, now=None) -> int:
    """Start the business day's counts wherever a restaurant's day has turned since a counted
    dish's `stock_date`: each such dish to its par, or uncounted. Every process may run it at
    once (each dish is judged again under its lock). Returns how many dishes changed."""
    stale = Dish.objects.filter(COUNTED)
    rolled = 0
    restaurants = Restaurant.objects.filter(pk__in=stale.values("restaurant_id"))
    for restaurant in restaurants:
        today = business_date(restaurant, now)
        mine = stale.filter(restaurant=restaurant).exclude(stock_date=today)
        ids = list(mine.values_list("pk", flat=True))
        if not ids:
            continue
        with transaction.atomic():
            for dish in _counted(restaurant.pk, ids):
                if dish.stock_date != today:
                    _store(dish, stock_of(dish, today), today)
                    rolled += 1
    return rolled
