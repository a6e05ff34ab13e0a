"""`manage.py demo_load`: load the demo restaurants (menus and tables) once."""

from django.core.management.base import BaseCommand, CommandError

from restaurant.site.demo import DEMO_SLUGS, demo_load


class Command(BaseCommand):
    help = (
        "Load the demo restaurants (each with its menu and tables) that are missing: "
        f"{', '.join(DEMO_SLUGS)}. A database with a restaurant of its own is left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", choices=DEMO_SLUGS, metavar="SLUG",
            help=f"load only this one ({', '.join(DEMO_SLUGS)}): a one-restaurant deployment",
        )  # fmt: skip

    def handle(self, *args, only, **options):
        try:
            loaded = demo_load(only=only)
        except ValueError as error:
            raise CommandError(str(error)) from None
        if not loaded:
            self.stdout.write("Demo data already present; left as is.")
            return
        for restaurant in loaded:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo restaurant {restaurant.slug} loaded: "
                    f"{restaurant.categories.count()} categories, "
                    f"{restaurant.dishes.count()} dishes, {restaurant.tables.count()} tables."
                )
            )
