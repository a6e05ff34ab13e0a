"""The staff floor's socket."""

from restaurant.kitchen.consumers import KitchenConsumer
from restaurant.venues.models import Restaurant
from restaurant.venues.roles import Action


class FloorConsumer(KitchenConsumer):
    """`/ws/floor/` and `/ws/r/<slug>/floor/`: a restaurant's staff floor socket, for staff
    whose role may see the floor. The kitchen socket's access, ops and events, and always the
    waiter calls (answering them is the floor's job)."""

    view = Action.FLOOR_VIEW

    def hears_calls(self, restaurant: Restaurant) -> bool:
        return True
