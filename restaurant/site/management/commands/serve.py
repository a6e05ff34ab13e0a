"""`make run`: migrate, load the demo once, print each restaurant's links and logins, serve
with daphne until Ctrl-C; beside it the print worker, and a fake kitchen printer per demo
station (restaurant/printing/embedded.py)."""

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.urls import reverse

from restaurant.core import asgi_server
from restaurant.printing.embedded import EmbeddedPrinting
from restaurant.site.demo import DEMO_SLUGS, demo_logins
from restaurant.tables.links import served_site_url_save, table_links
from restaurant.venues.models import Restaurant, Station

# The platform's superuser: every restaurant, the whole admin. Each restaurant's staff have
# logins of their own, with their role (the demo's are printed too).
STAFF_USERNAME = "admin"


class Command(BaseCommand):
    help = "Run the embedded server (SQLite, in-memory layer unless REDIS_URL) with demo data."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true", help="load no demo restaurant")
        parser.add_argument(
            "--new-passwords", action="store_true",
            help="give the superuser and the demo logins new passwords (else kept in var/)",
        )  # fmt: skip
        parser.add_argument("--no-print-worker", action="store_true",
                            help="start no print worker (one runs elsewhere)")  # fmt: skip
        parser.add_argument("--no-fake-printers", action="store_true",
                            help="start no fake printers for the demo stations")  # fmt: skip

    def handle(self, *args, host, port, no_demo, new_passwords, **options):
        call_command("migrate", interactive=False, verbosity=0)
        # Hashed, compressed static files (restaurant/core/staticfiles.py); quick once done.
        call_command("collectstatic", interactive=False, verbosity=0)
        if not no_demo:
            call_command("demo_load")
        logins = demo_logins(
            var_dir=settings.VAR_DIR, superuser=STAFF_USERNAME, renew=new_passwords
        )
        site = self.site_url(host, port)
        served_site_url_save(site)  # `table_links` in another shell prints these links too
        if site != settings.SITE_URL and not os.environ.get("WS_ALLOWED_ORIGINS"):
            # The pages are served from here: their sockets come from here too.
            from config.settings import socket_origins

            settings.SITE_URL = site
            settings.WS_ALLOWED_ORIGINS = socket_origins(site)
        layer = "Redis" if settings.REDIS_URL or settings.REDIS_SENTINELS else "in-memory"
        self.print_guide(site, layer, logins)
        printing = self.printing_start(options)
        self.stdout.write("Ctrl-C stops the server.\n")
        self.stdout.flush()
        try:
            asgi_server.main(["-b", host, "-p", str(port), "config.asgi:application"])
        finally:
            printing.stop()

    def printing_start(self, options) -> EmbeddedPrinting:
        """The fake printers of the demo stations, then the print worker (a child process;
        with the in-memory layer its events are relayed into this server's event loop)."""

        def echo(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        printing = EmbeddedPrinting(echo=echo)
        if not options["no_fake_printers"]:
            stations = Station.objects.filter(restaurant__slug__in=DEMO_SLUGS).select_related(
                "restaurant"
            )
            lines = printing.fake_printers_start(list(stations))
            if lines:
                self.stdout.write(self.style.SUCCESS("Kitchen printers"))
                for line in lines:
                    self.stdout.write(f"  {line}")
                self.stdout.write("")
        if not options["no_print_worker"]:
            loop = None
            if not (settings.REDIS_URL or settings.REDIS_SENTINELS):
                from daphne.server import twisted_loop  # the loop daphne serves on

                loop = twisted_loop
            printing.worker_start(loop)
        return printing

    @staticmethod
    def site_url(host: str, port: int) -> str:
        """SITE_URL where it is set; else the address served (`make run` sets SITE_URL from
        PORT; `manage.py serve --port N` alone serves port N, not SITE_URL's default)."""
        if settings.SITE_URL != settings.SITE_URL_DEFAULT:
            return settings.SITE_URL
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def print_guide(self, site: str, layer: str, logins: list) -> None:
        out = self.stdout.write
        out(self.style.SUCCESS(f"\nRestaurantOrder on {site}  (channel layer: {layer})\n"))
        admin = logins[0]
        out(f"Staff sign-in:  {site}{reverse('staff-login')}")
        out(f"Admin:          {site}/admin/")
        out(f"Superuser:      {admin.username} / {admin.password}  (every restaurant)")
        links = table_links()
        for restaurant in Restaurant.objects.order_by("pk"):
            names = " / ".join(n for n in (restaurant.name, restaurant.name_en) if n)
            out(self.style.SUCCESS(f"\n{names}  ({restaurant.slug}, {restaurant.currency})"))
            slug = {"slug": restaurant.slug}
            kitchen, floor, report = (
                reverse(n, kwargs=slug) for n in ("kitchen", "staff-floor", "staff-report")
            )
            out(f"  Kitchen display:  {site}{kitchen}")
            out(f"  Staff floor:      {site}{floor}  (each open table's check: Check · 结账)")
            out(f"  Night's report:   {site}{report}")
            people = [login for login in logins if login.restaurant == restaurant]
            if people:
                out("  Logins:")
                for login in people:
                    out(f"    {login.role:<8} {login.username} / {login.password}")
            out("  Tables:")
            for link in links:
                if link["restaurant"] == restaurant.slug:
                    out(f"    {link['number']:>3}  {link['url']}")
        out("")

    def staff_password(self) -> str:
        """The superuser's password (generated, kept in var/ with the demo logins')."""
        return demo_logins(var_dir=settings.VAR_DIR, superuser=STAFF_USERNAME)[0].password
