from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from restaurant.tables.links import site_url
from restaurant.venues.devices import (
    DEVICE_ROLES,
    PAIRING_TTL,
    device_create,
    device_pairing_open,
)
from restaurant.venues.models import Restaurant, StaffMember


class Command(BaseCommand):
    help = (
        "Print a one-time link that signs a shared tablet in as a device of a restaurant "
        "(the kitchen display, a floor tablet), making the device if it is new. "
        "Example: device_link --restaurant chuanwei --role kitchen --name 'kitchen pass'"
    )

    def add_arguments(self, parser):
        parser.add_argument("--restaurant", required=True, help="the restaurant's slug")
        parser.add_argument("--name", required=True, help="which tablet, e.g. 'kitchen pass'")
        parser.add_argument(
            "--role", choices=[str(role) for role in DEVICE_ROLES], default="kitchen",
            help="for a new device (default kitchen; a device is never a manager)",
        )  # fmt: skip

    def handle(self, *args, **options):
        restaurant = Restaurant.objects.filter(slug=options["restaurant"]).first()
        if restaurant is None:
            raise CommandError(f"no restaurant with slug {options['restaurant']!r}")
        try:
            member = device_member(restaurant, options["name"], options["role"])
            secret = device_pairing_open(member=member)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        url = site_url() + reverse("staff-device-pair", args=[secret])
        minutes = int(PAIRING_TTL.total_seconds() // 60)
        self.stdout.write(f"{member.user.username} ({member.role}): open within {minutes} min")
        self.stdout.write(url)


def device_member(restaurant: Restaurant, name: str, role: str) -> StaffMember:
    from restaurant.venues.devices import device_username

    existing = StaffMember.objects.filter(
        restaurant=restaurant, is_device=True, user__username=device_username(restaurant, name)
    ).first()
    return existing or device_create(restaurant=restaurant, role=role, name=name)
