import json

from django.core.management.base import BaseCommand

from restaurant.tables.links import table_links


class Command(BaseCommand):
    help = (
        "Print every table's number and full URL (from SITE_URL, or else the address that "
        "`make run` serves)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print a JSON list")

    def handle(self, *args, **options):
        links = table_links()
        if options["json"]:
            self.stdout.write(json.dumps(links, ensure_ascii=False, indent=2))
            return
        for link in links:
            self.stdout.write(f"{link['number']:>4}  {link['url']}")
