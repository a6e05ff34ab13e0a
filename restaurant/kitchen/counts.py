"""Counted dishes (限量, restaurant/menu/stock.py) follow what happens to a sent dish: a void
or a cancelled round gives its portions back, the recall of a void takes them again. Plugged
into the kitchen's own void hooks (restaurant/kitchen/hooks.py) in KitchenConfig.ready, so that
every path that voids a dish, on its own, in part or with its round, counts the same."""

from restaurant.kitchen.models import OrderItem
from restaurant.menu.stock import stock_give_back, stock_take_again


def item_voided(item: OrderItem) -> None:
    order = item.order
    stock_give_back(restaurant_id=order.restaurant_id, dish_id=item.dish_id, qty=item.qty,
                    taken_at=order.created_at)  # fmt: skip


def item_unvoided(item: OrderItem) -> None:
    order = item.order
    stock_take_again(restaurant_id=order.restaurant_id, dish_id=item.dish_id, qty=item.qty,
                     taken_at=order.created_at)  # fmt: skip
