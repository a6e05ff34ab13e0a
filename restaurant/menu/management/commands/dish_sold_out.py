from django.core.management.base import BaseCommand, CommandError

from restaurant.menu.models import Dish
from restaurant.menu.services import dish_set_sold_out
from restaurant.realtime.errors import OpError


class Command(BaseCommand):
    help = (
        "Mark a dish sold out (or available again); every open menu of its restaurant hears of "
        "it at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("dish_id", type=int)
        parser.add_argument("--available", action="store_true", help="back on the menu")
        parser.add_argument("--restaurant", help="the dish's restaurant (slug), to make sure")

    def handle(self, *args, dish_id, available, restaurant=None, **options):
        dish = Dish.objects.filter(pk=dish_id).select_related("restaurant").first()
        if dish is None or (restaurant is not None and dish.restaurant.slug != restaurant):
            raise CommandError("that dish is not on the menu")
        try:
            dish = dish_set_sold_out(
                restaurant=dish.restaurant, dish_id=dish_id, sold_out=not available
            )
        except OpError as exc:
            raise CommandError(exc.message) from exc
        state = "sold out" if dish.sold_out else "available"
        self.stdout.write(f"{dish.name} (#{dish.pk}) is {state}.")
