import json

from django.core.management.base import BaseCommand, CommandError

from restaurant.tables.links import table_links
from restaurant.venues.models import Restaurant


class Command(BaseCommand):
    help = (
        "Print every table's number and full URL (from SITE_URL, or else the address that "
        "`make run` serves), restaurant by restaurant; --restaurant SLUG for one."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print a JSON list")
        parser.add_argument("--restaurant", metavar="SLUG", help="only this restaurant's tables")

    def handle(self, *args, **options):
        slug = options["restaurant"]
        if slug is not None and not Restaurant.objects.filter(slug=slug).exists():
            raise CommandError(f"no restaurant with slug {slug!r}")
        links = table_links(restaurant_slug=slug)
        if options["json"]:
            self.stdout.write(json.dumps(links, ensure_ascii=False, indent=2))
            return
        several = len({link["restaurant"] for link in links}) > 1
        for link in links:
            where = f"{link['restaurant']:<16} " if several else ""
            self.stdout.write(f"{where}{link['number']:>4}  {link['url']}")
