from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from restaurant.tables.links import table_links
from restaurant.tables.services import tables_add
from restaurant.venues.services import restaurant_create


class Command(BaseCommand):
    help = (
        "Create a restaurant with its tables (numbered 1..N) and print their links. "
        "Example: restaurant_create --name 川味小馆 --slug chuanwei --currency CNY --tables 12, "
        "or the same as NAME SLUG [CURRENCY] [TABLES]."
    )

    def add_arguments(self, parser):
        # Positional or named, whichever reads better in a script.
        parser.add_argument("pos_name", nargs="?", metavar="NAME")
        parser.add_argument("pos_slug", nargs="?", metavar="SLUG")
        parser.add_argument("pos_currency", nargs="?", metavar="CURRENCY")
        parser.add_argument("pos_tables", nargs="?", type=int, metavar="TABLES")
        parser.add_argument("--name", help="its name (as diners see it)")
        parser.add_argument("--name-en", default="", help="its English name, if it has one")
        parser.add_argument("--slug", help="its short name in staff URLs: /r/<slug>/kitchen/")
        parser.add_argument("--currency", help="ISO 4217 code (default CNY)")
        parser.add_argument(
            "--tables", "--table-count", type=int, dest="tables",
            help="number of tables to create (default 0)",
        )  # fmt: skip
        parser.add_argument("--language", default="", help="default language (zh-hans or en)")
        parser.add_argument("--json", action="store_true", help="print the table links as JSON")

    def handle(self, *args, **options):
        name = options["name"] or options["pos_name"]
        slug = options["slug"] or options["pos_slug"]
        currency = options["currency"] or options["pos_currency"] or "CNY"
        tables = next((n for n in (options["tables"], options["pos_tables"]) if n is not None), 0)
        if not name or not slug:
            raise CommandError("give the restaurant's --name and --slug")
        if not 0 <= tables <= 500:
            raise CommandError("--tables must be between 0 and 500")
        try:
            with transaction.atomic():
                restaurant = restaurant_create(
                    name=name, slug=slug, currency=currency,
                    name_en=options["name_en"], language=options["language"],
                )  # fmt: skip
                tables_add(restaurant=restaurant, count=tables)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        links = table_links(restaurant_slug=restaurant.slug)
        if options["json"]:
            import json

            payload = {"slug": restaurant.slug, "id": restaurant.pk, "tables": links}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
            return
        self.stdout.write(
            f"Created {restaurant.name} ({restaurant.slug}, {restaurant.currency}) "
            f"with {len(links)} tables"
        )
        for link in links:
            self.stdout.write(f"{link['number']:>4}  {link['url']}")
