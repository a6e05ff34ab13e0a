"""`manage.py demo_load`: load the demo restaurant, menu and tables once."""

from django.core.management.base import BaseCommand

from restaurant.menu.models import Category, Dish
from restaurant.site.demo import demo_load
from restaurant.tables.models import Table


class Command(BaseCommand):
    help = "Load the demo restaurant (menu and 12 tables) unless a menu is already present."

    def handle(self, *args, **options):
        if not demo_load():
            self.stdout.write("Demo data already present; left as is.")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo restaurant loaded: {Category.objects.count()} categories, "
                f"{Dish.objects.count()} dishes, {Table.objects.count()} tables."
            )
        )
