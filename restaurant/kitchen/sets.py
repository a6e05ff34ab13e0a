"""Set meals (套餐) as a round sends them.

A set meal is a dish whose option groups offer dishes: "pick 1 of 3 mains" is a group (min 1,
max 1) whose options each name a dish (`Option.dish`), "2 of 4 sides" one with min 2, max 2.
The diner chooses them like any options (the same sheet, the same checks, a choice may cost a
supplement), so the cart line is an ordinary line: the set dish and the chosen option ids.

At submit the line is sent as its parts: one kitchen item per chosen dish, made at that dish's
own station, on its own ticket, moved and taken back on its own. The set's price (its own plus
the options' supplements) is shared among the parts in proportion to their menu prices, by
largest remainder (`restaurant.core.allocate`): the parts sum to exactly the set's price, and a
part taken back refunds its share. Each part keeps the set's name (`OrderItem.set_name`) and
the line it came from (`set_line`), so the table and the till can show them together. The
set's other options (a spice level for the whole set) go on every part.
"""

from dataclasses import dataclass

from restaurant.core.allocate import allocate
from restaurant.dining.models import CartLine
from restaurant.menu.models import Dish, Option
from restaurant.menu.pricing import unit_price
from restaurant.menu.stock import dish_is_out
from restaurant.realtime.errors import OpError


@dataclass(frozen=True)
class Part:
    dish: Dish  # with its category (the station it is made at)
    unit_price: int  # its share of the set's price, per set
    option_ids: list[int]  # the set's options that are not dishes
    option_names: list[str]


def set_parts(
    lines: list[CartLine], options: dict[int, Option], *, restaurant_id: int, today
) -> dict[int, list[Part]]:
    """{index of the line in ``lines``: its parts} for the lines that are set meals (a chosen
    option names a dish); other lines are not in it. One query, only when there is a set.

    Raises OpError `sold_out` (`dish_ids`: the set, `option_ids`: the choices) when a chosen
    dish is sold out on ``today`` (switched off, or counted with none left), is not one of
    ``restaurant_id``'s, or is a set meal itself (a set is sent as dishes, one level deep)."""
    part_ids = {
        options[i].dish_id
        for line in lines
        for i in line.options
        if i in options and options[i].dish_id is not None
    }
    if not part_ids:
        return {}
    # A set meal is no part: it would go to the kitchen as one item without its own dishes.
    sets = Option.objects.filter(dish__isnull=False, group__dishes__isnull=False)
    found = (
        Dish.objects.select_related("category")
        .filter(pk__in=part_ids, restaurant_id=restaurant_id)
        .exclude(pk__in=sets.values("group__dishes"))
    )
    dishes = {d.pk: d for d in found}
    gone = [
        (line.dish_id, i)
        for line in lines
        for i in line.options
        if i in options and options[i].dish_id is not None
        and (options[i].dish_id not in dishes or dish_is_out(dishes[options[i].dish_id], today))
    ]  # fmt: skip
    if gone:
        raise OpError("sold_out", "a dish chosen in a set meal is sold out",
                      dish_ids=sorted({d for d, _ in gone}),
                      option_ids=sorted({o for _, o in gone}))  # fmt: skip
    out: dict[int, list[Part]] = {}
    for n, line in enumerate(lines):
        chosen = [options[i] for i in line.options if i in options]
        picks = [o for o in chosen if o.dish_id is not None]
        if not picks:
            continue
        rest = [o for o in chosen if o.dish_id is None]
        price = unit_price(line.dish, line.options, options, takeaway=line.takeaway)
        weights = {k: dishes[o.dish_id].price for k, o in enumerate(picks)}
        shares = allocate(price, weights)
        out[n] = [
            Part(dishes[o.dish_id], shares[k], [r.pk for r in rest], [r.name for r in rest])
            for k, o in enumerate(picks)
        ]
    return out
