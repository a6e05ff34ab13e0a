"""The shared cart. Each function runs inside `ops.diner_op_apply`'s transaction, with the
session row locked (and the menu version read with it: dishes and options come from the
process's catalog); it either changes one thing and returns the new `seq`, changes nothing
and returns None, or raises OpError having changed nothing."""

from restaurant.dining import sql
from restaurant.dining.models import CartLine, Diner, DiningSession
from restaurant.dining.names import refuse_invisible
from restaurant.dining.ordering import ordering_check_add
from restaurant.dining.payloads import line_payload
from restaurant.dining.services import session_change
from restaurant.menu.catalog import Catalog, catalog
from restaurant.menu.models import Dish, Option
from restaurant.menu.pricing import unit_price
from restaurant.menu.stock import dish_is_out
from restaurant.realtime.errors import OpError
from restaurant.venues.days import business_date_from
from restaurant.venues.models import Restaurant

MAX_QTY = 99


def _option_out(menu: Catalog, option, today) -> bool:
    """Switched off, or a set meal's choice of a dish that is sold out ``today``."""
    if option.sold_out:
        return True
    part = menu.dishes.get(option.dish_id) if option.dish_id is not None else None
    return part is not None and dish_is_out(part, today)


def today_of(session: DiningSession):
    """The restaurant's business date now (counted dishes: restaurant/menu/stock.py), from the
    `day_starts_at` the op's lock read with the meal, else read here."""
    starts = getattr(session, "day_starts_at", None)
    if starts is None:
        starts = Restaurant.objects.values_list("day_starts_at", flat=True).get(
            pk=session.restaurant_id
        )
    return business_date_from(starts)


def check_options(menu: Catalog, dish: Dish, option_ids: list[int], today=None) -> list[int]:
    """Options must belong to the dish, appear once, not be sold out, and respect every
    group's min/max. Returns them sorted. A refusal says `detail: "options"` with the dish (and
    the group whose rule is broken), so a page with an older menu can reload it and say so in
    its diner's language; its message names no ids. A sold-out option is `sold_out` with the
    dish (`dish_ids`, as for a sold-out dish) and the options (`option_ids`)."""
    if len(set(option_ids)) != len(option_ids):
        raise OpError("bad_request", "an option is chosen twice", detail="options",
                      dish_id=dish.pk)  # fmt: skip
    groups = menu.groups.get(dish.pk, [])
    group_of = {o.pk: g for g in groups for o in g.choices}
    if any(i not in group_of for i in option_ids):
        raise OpError("bad_request", f"some options are not options of “{dish.name}”",
                      detail="options", dish_id=dish.pk)  # fmt: skip
    sold_out = sorted(i for i in option_ids if _option_out(menu, menu.options[i], today))
    if sold_out:
        raise OpError("sold_out", f"a choice of “{dish.name}” is sold out", dish_ids=[dish.pk],
                      option_ids=sold_out)  # fmt: skip
    for group in groups:
        chosen = sum(1 for i in option_ids if group_of[i] is group)
        if not group.min_choices <= chosen <= group.max_choices:
            raise OpError(
                "bad_request",
                f"choose {group.min_choices}..{group.max_choices} of “{group.name}”, not {chosen}",
                detail="options",
                dish_id=dish.pk,
                group_id=group.pk,
                group=group.name,
                group_en=group.name_en,
                min=group.min_choices,
                max=group.max_choices,
            )
    return sorted(option_ids)


def check_min_qty(dish: Dish, qty: int) -> None:
    """起售份数: a line of ``dish`` holds at least its `min_qty` portions. Refused with
    `detail: "min_qty"`, the minimum (`min`) and the dish, so a page says it in its words."""
    if qty < dish.min_qty:
        raise OpError("bad_request", f"“{dish.name}” is sold from {dish.min_qty} portions",
                      detail="min_qty", min=dish.min_qty, dish_id=dish.pk)  # fmt: skip


def line_event(line: CartLine, by: Diner, dish: Dish, options: dict[int, Option]) -> dict:
    price = unit_price(dish, line.options, options, takeaway=line.takeaway)
    return {"type": "cart.line", "by": by.pk, "line": line_payload(line, unit_price=price)}


def cart_line_add(
    *,
    session: DiningSession,
    diner: Diner,
    dish_id: int,
    qty: int,
    options: list[int],
    note: str,
    added_by: int | None = None,
    shared: bool = False,
    takeaway: bool = False,
) -> int:
    """``added_by``: whose line it is when not ``diner``'s (a line put back after someone
    removed it), a diner of the same meal; the event still says who did it (`by`).
    ``shared``: the dish is for the whole table (the check splits it among the diners); a
    ``takeaway``: packed to take away (打包), each portion with the dish's packing fee. A line
    is raised only by an add of the same dish, options, note, ``shared`` and ``takeaway``."""
    owner = diner.pk if added_by is None else added_by
    if owner != diner.pk and not Diner.objects.filter(pk=owner, session_id=session.pk).exists():
        raise OpError("not_found", "no such diner at this table", detail="diner")
    menu = catalog(session.restaurant_id, session.menu_version)
    dish = menu.dishes.get(dish_id)
    if dish is None:
        raise OpError("not_found", "that dish is not on the menu", detail="dish", dish_id=dish_id)
    today = today_of(session)
    if dish_is_out(dish, today):  # switched off, or counted and none left today
        raise OpError("sold_out", f"“{dish.name}” is sold out", dish_ids=[dish.pk])
    ordering_check_add(session=session, diner_id=diner.pk, category_id=dish.category_id)
    options = check_options(menu, dish, options, today)
    for option_id in options:  # a set meal's dishes obey their own categories' hours too
        part = menu.dishes.get(menu.options[option_id].dish_id)
        if part is not None:
            ordering_check_add(session=session, diner_id=diner.pk, category_id=part.category_id)
    note = note.strip()
    refuse_invisible(note, "note")
    line_of = {"session_id": session.pk, "diner_id": owner, "dish_id": dish.pk,
               "options": options, "note": note, "shared": shared,
               "takeaway": takeaway}  # fmt: skip
    line = sql.line_matching(**line_of)
    check_min_qty(dish, qty if line is None else line.qty + qty)
    if line is None:
        line = sql.line_insert(**line_of, qty=qty)
    else:
        if line.qty + qty > MAX_QTY:
            raise OpError("conflict", f"a line holds at most {MAX_QTY}; it has {line.qty}",
                          detail="qty_max", max=MAX_QTY)  # fmt: skip
        line.qty += qty
        sql.line_qty_save(line)
    return session_change(session, line_event(line, diner, dish, menu.options), cart=True)


def _line_of(session: DiningSession, line_id: int) -> CartLine:
    line = sql.line_of_session(session_id=session.pk, line_id=line_id)
    if line is None:  # another table's line looks exactly like a missing one
        raise OpError("not_found", "that line is no longer in the cart", detail="line",
                      line_id=line_id)  # fmt: skip
    return line


def cart_line_remove(*, session: DiningSession, diner: Diner, line_id: int) -> int:
    line = _line_of(session, line_id)
    sql.line_delete(line)
    event = {"type": "cart.line_removed", "by": diner.pk, "line_id": line_id}
    return session_change(session, event, cart=True)


def cart_line_set_qty(
    *, session: DiningSession, diner: Diner, line_id: int, qty: int
) -> int | None:
    if qty == 0:
        return cart_line_remove(session=session, diner=diner, line_id=line_id)
    line = _line_of(session, line_id)
    if line.qty == qty:
        return None
    menu = catalog(session.restaurant_id, session.menu_version)
    dish = menu.dishes.get(line.dish_id) or line.dish  # a dish deleted since: read it
    check_min_qty(dish, qty)
    line.qty = qty
    sql.line_qty_save(line)
    return session_change(session, line_event(line, diner, dish, menu.options), cart=True)
