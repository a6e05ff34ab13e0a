"""Categories every guest orders from (rice, tea: `Category.required_per_guest`).

A diner's round is refused while the meal, with this round, holds fewer dishes of such a
category than it has guests: the guests noted for the meal (人数), or the phones at the table
if there are more (a diner may note the guests too: noting fewer must not lower the rule). The
dishes counted are those sent and not taken back, and this round's (a set meal's parts
included: a set with rice brings rice). Staff ordering for a table are not held to it: they
know the table (a child who eats from a parent's bowl)."""

from django.db.models import Sum

from restaurant.dining.models import Diner, DiningSession
from restaurant.kitchen.models import Order, OrderItem
from restaurant.menu.hours import rules
from restaurant.realtime.errors import OpError


def required_check(*, session: DiningSession, diner_id: int, dishes: list) -> None:
    """``dishes``: the round's (dish, qty) pairs, each set meal as its parts. Raises OpError
    `conflict` with `detail: "required"`, the first short category (`category_id`,
    `category`, `category_en`), `need` (how many more) and `guests`. No query unless the
    restaurant has such a category."""
    required = rules(session.restaurant_id, session.menu_version).required
    if not required:
        return
    if Diner.objects.filter(pk=diner_id, staff__isnull=False).exists():
        return
    phones = Diner.objects.filter(session_id=session.pk, staff__isnull=True).count()
    guests = max(getattr(session, "guests", None) or 0, phones)
    sent = (
        OrderItem.objects.filter(order__session_id=session.pk)
        .exclude(status=OrderItem.Status.VOIDED)
        .exclude(order__status=Order.Status.CANCELLED)
    )
    for category_id, name, name_en in required:
        here = sum(qty for dish, qty in dishes if dish.category_id == category_id)
        before = sent.filter(dish__category_id=category_id).aggregate(n=Sum("qty"))["n"] or 0
        if here + before < guests:
            need = guests - here - before
            raise OpError(
                "conflict",
                f"every guest orders from “{name}”: {need} more for {guests} guests",
                detail="required", category_id=category_id, category=name,
                category_en=name_en, need=need, guests=guests,
            )  # fmt: skip
