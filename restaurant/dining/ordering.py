"""The diners' ops obey the restaurant's ordering rules (restaurant/menu/hours.py): nothing is
sent while ordering is paused or outside service hours, and a dish of a category that is
closed now (paused, or outside its own hours: breakfast at dinner) is neither added nor sent.
Staff ordering for a table (a staff member's diner, `Diner.staff`) are not held to them: they
decide, a late table say. Building a cart while the whole restaurant is closed is allowed:
the table may send it once ordering opens again."""

from restaurant.dining.models import CartLine, Diner, DiningSession
from restaurant.menu.catalog import Catalog
from restaurant.menu.hours import ordering_refusal, ordering_state, rules


def _rules(session: DiningSession):
    return rules(session.restaurant_id, session.menu_version)


def _is_staff(diner_id: int) -> bool:
    return Diner.objects.filter(pk=diner_id, staff__isnull=False).exists()


def ordering_check_add(*, session: DiningSession, diner_id: int, category_id: int) -> None:
    """Before `cart.add` of a dish of ``category_id``: raises OpError `ordering_closed` when
    that category is closed now (no query unless it is)."""
    known = _rules(session)
    if category_id not in known.categories_paused and category_id not in known.category_hours:
        return  # the usual case: a category with no rules of its own is never closed alone
    state = ordering_state(known)
    refusal = ordering_refusal({**state, "open": True}, {category_id})
    if refusal is not None and not _is_staff(diner_id):
        raise refusal


def ordering_check_submit(*, session: DiningSession, diner_id: int, menu: Catalog) -> None:
    """Before `order.submit`: raises OpError `ordering_closed` while the restaurant is closed
    (paused or outside its hours), or when the cart holds a dish of a closed category (its
    ``category_ids``). Checked before the submit's own checks: nothing is sent while closed."""
    known = _rules(session)
    if not (known.paused or known.hours or known.category_hours or known.categories_paused):
        return  # the usual case: a restaurant without rules is always open
    state = ordering_state(known)
    if state["open"] and not state["categories"]:
        return  # open, every category too: no query
    categories = set()
    if state["open"]:
        cart = CartLine.objects.filter(session=session).values_list("dish_id", "options")
        for dish_id, option_ids in cart:
            # A set meal's dishes (options naming a dish) are sent too: their categories count.
            parts = [menu.options[i].dish_id for i in option_ids if i in menu.options]
            for dish in (menu.dishes.get(pk) for pk in [dish_id, *parts] if pk is not None):
                if dish is not None:
                    categories.add(dish.category_id)
    refusal = ordering_refusal(state, categories)
    if refusal is not None and not _is_staff(diner_id):
        raise refusal
