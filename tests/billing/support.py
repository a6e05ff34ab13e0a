"""A meal to settle: diners at table 1, each sending their own dishes, for the till's tests."""

from restaurant.dining.models import DiningSession
from restaurant.dining.services import session_open
from restaurant.kitchen.models import OrderItem
from tests.dining.helpers import apply, arrive


def meal(menu, *rounds: tuple[str, list]) -> tuple[DiningSession, dict, dict]:
    """Staff open table 1; each ``(name, [dishes])`` is a diner (made once per name, renamed
    to it) adding their dishes, and each round is sent. Returns (session, diners by name,
    items by "name:dish" with its n-th copy as "name:dish:n" after the first)."""
    if not DiningSession.objects.filter(table=menu.table, status="open").exists():
        session_open(table=menu.table, by_staff=True)
    diners, items = {}, {}
    for n, (name, dishes) in enumerate(rounds):
        if name not in diners:
            diner = arrive(menu.table)
            apply(diner, {"type": "diner.rename", "id": f"r{diner.pk}", "name": name})
            diners[name] = diner
        diner = diners[name]
        for m, dish in enumerate(dishes):
            options = [menu.mild.pk] if dish == menu.chicken else []
            apply(diner, {"type": "cart.add", "id": f"a{n}.{m}", "dish_id": dish.pk,
                          "options": options, "note": f"{n}.{m}"})  # fmt: skip
        session = DiningSession.objects.get(table=menu.table, status="open")
        apply(diner, {"type": "order.submit", "id": f"s{n}", "seq": session.seq})
    session = DiningSession.objects.get(table=menu.table, status="open")
    for item in OrderItem.objects.filter(order__session=session).order_by("pk"):
        name = next(k for k, d in diners.items() if d.pk == item.added_by_id)
        key = f"{name}:{item.dish.name_en or item.dish.name}"
        while key in items:
            key += "+"
        items[key] = item
    return session, diners, items
