"""`make run`: migrate, load the demo once, print the URLs, serve with daphne until Ctrl-C."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import call_command
from django.core.management.base import BaseCommand

from restaurant.core import asgi_server
from restaurant.tables.links import served_site_url_save, table_links

STAFF_USERNAME = "staff"


class Command(BaseCommand):
    help = "Run the embedded server (SQLite, in-memory layer unless REDIS_URL) with demo data."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args, host, port, no_demo, **options):
        call_command("migrate", interactive=False, verbosity=0)
        # Hashed, compressed static files (restaurant/core/staticfiles.py); quick once done.
        call_command("collectstatic", interactive=False, verbosity=0)
        if not no_demo:
            call_command("demo_load")
        password = self.staff_password()
        site = self.site_url(host, port)
        served_site_url_save(site)  # `table_links` in another shell prints these links too
        if site != settings.SITE_URL and not os.environ.get("WS_ALLOWED_ORIGINS"):
            # The pages are served from here: their sockets come from here too.
            from config.settings import socket_origins

            settings.SITE_URL = site
            settings.WS_ALLOWED_ORIGINS = socket_origins(site)
        layer = "Redis" if settings.REDIS_URL else "in-memory"
        out = self.stdout.write
        out(self.style.SUCCESS(f"\nRestaurantOrder on {site}  (channel layer: {layer})\n"))
        out("Tables:")
        for link in table_links():
            out(f"  {link['number']:>3}  {link['url']}")
        out(f"\nKitchen display:  {site}/kitchen/")
        out(f"Staff floor:      {site}/staff/")
        out(f"Admin:            {site}/admin/")
        out(f"Staff login:      {STAFF_USERNAME} / {password}\n")
        out("Ctrl-C stops the server.\n")
        self.stdout.flush()
        asgi_server.main(["-b", host, "-p", str(port), "config.asgi:application"])

    @staticmethod
    def site_url(host: str, port: int) -> str:
        """SITE_URL where it is set; else the address served (`make run` sets SITE_URL from
        PORT; `manage.py serve --port N` alone serves port N, not SITE_URL's default)."""
        if settings.SITE_URL != settings.SITE_URL_DEFAULT:
            return settings.SITE_URL
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def staff_password(self) -> str:
        """A generated password, kept in var/ (0600) so it stays the same across runs."""
        path = settings.VAR_DIR / "staff_password"
        user_model = get_user_model()
        user = user_model.objects.filter(username=STAFF_USERNAME).first()
        known = path.read_text().strip() if path.exists() else None
        # A new database, a lost file, or a password changed elsewhere: make a new one.
        if user is None or known is None or not user.check_password(known):
            password = secrets.token_urlsafe(12)  # 16 characters
            user = user or user_model(username=STAFF_USERNAME)
            validate_password(password, user)  # held to the staff policy like any other
            user.is_staff = True
            user.is_superuser = True
            user.set_password(password)
            user.save()
            path.write_text(password)
            path.chmod(0o600)
        return path.read_text().strip()
