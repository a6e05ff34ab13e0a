"""`python manage.py printer_set RESTAURANT STATION tcp://HOST:PORT`: point a station at its
kitchen printer (RESTAURANT: the restaurant's slug, STATION: the station's code; the port
defaults to 9100). `none` (or `--disable`) removes it; its queued tickets are cancelled.
`--no-status` for a printer that never answers ESC/POS status queries (`--status` again
for one that does: the default)."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from restaurant.printing.services import printer_set
from restaurant.venues.models import Restaurant, Station


class Command(BaseCommand):
    help = "Set a station's kitchen printer (tcp://HOST:PORT), or remove it with `none`."

    def add_arguments(self, parser):
        parser.add_argument("restaurant", help="the restaurant's slug")
        parser.add_argument("station", help="the station's code (hot, cold, bar...)")
        parser.add_argument("url", nargs="?", help="tcp://HOST:PORT, or none to remove")
        parser.add_argument("--disable", action="store_true", help="remove the printer")
        parser.add_argument(
            "--no-status", dest="answers_status", action="store_false",
            help="the printer never answers status queries (DLE EOT): its TCP "
            "acknowledgement counts as taking a ticket, its paper is not watched",
        )  # fmt: skip
        parser.add_argument("--status", dest="answers_status", action="store_true")
        parser.set_defaults(answers_status=True)

    def handle(self, *args, restaurant, station, url, disable, answers_status, **options):
        found = Restaurant.objects.filter(slug=restaurant).first()
        if found is None:
            raise CommandError(f"no restaurant {restaurant!r}")
        place = Station.objects.filter(restaurant=found, code=station).first()
        if place is None:
            codes = ", ".join(found.stations.values_list("code", flat=True)) or "none"
            raise CommandError(f"{found.slug} has no station {station!r} (its stations: {codes})")
        remove = disable or (url or "").lower() == "none"
        if not remove and not url:
            raise CommandError("give tcp://HOST:PORT, or none to remove the printer")
        try:
            printer = printer_set(station=place, url=None if remove else url,
                                  answers_status=answers_status)  # fmt: skip
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        if printer is None:
            self.stdout.write(f"{found.slug} {place.code}: no printer")
        else:
            plain = "" if printer.answers_status else " (no status queries)"
            self.stdout.write(f"{found.slug} {place.code}: {printer.url}{plain}")
