import getpass
import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from restaurant.venues.models import Restaurant, StaffMember
from restaurant.venues.services import staff_member_create

PASSWORD_ENV = "STAFF_PASSWORD"


class Command(BaseCommand):
    help = (
        "Give a person a role at a restaurant, creating their login if it is new. The password "
        f"comes from ${PASSWORD_ENV} (or the variable --password-env names), else a prompt; it "
        "is never an argument (it would stay in the shell's history and the process list). "
        "Example: STAFF_PASSWORD=... staff_create --restaurant chuanwei --role kitchen "
        "--username wang"
    )

    def add_arguments(self, parser):
        parser.add_argument("pos_restaurant", nargs="?", metavar="RESTAURANT")
        parser.add_argument("pos_role", nargs="?", metavar="ROLE")
        parser.add_argument("pos_username", nargs="?", metavar="USERNAME")
        parser.add_argument("--restaurant", help="the restaurant's slug")
        parser.add_argument("--role", choices=StaffMember.Role.values)
        parser.add_argument("--username")
        parser.add_argument(
            "--password-env", default=PASSWORD_ENV, metavar="VAR",
            help=f"the environment variable holding the password (default {PASSWORD_ENV})",
        )  # fmt: skip

    def handle(self, *args, **options):
        slug = options["restaurant"] or options["pos_restaurant"]
        role = options["role"] or options["pos_role"]
        username = options["username"] or options["pos_username"]
        if not (slug and role and username):
            raise CommandError("give --restaurant, --role and --username")
        restaurant = Restaurant.objects.filter(slug=slug).first()
        if restaurant is None:
            raise CommandError(f"no restaurant with slug {slug!r}")
        if role not in StaffMember.Role.values:
            raise CommandError(f"role must be one of {', '.join(StaffMember.Role.values)}")
        password = os.environ.get(options["password_env"]) or self._prompt(username)
        try:
            member = staff_member_create(
                restaurant=restaurant, role=role, username=username, password=password
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"{member.user.username} is {member.role} at {restaurant.slug}")

    def _prompt(self, username: str) -> str | None:
        from django.contrib.auth import get_user_model

        if get_user_model().objects.filter(username=username).exists():
            return None  # an existing user keeps their password
        if not os.isatty(0):
            raise CommandError(f"set ${PASSWORD_ENV} (no terminal to prompt on)")
        first = getpass.getpass(f"Password for {username}: ")
        if first != getpass.getpass("Again: "):
            raise CommandError("the passwords differ")
        return first
