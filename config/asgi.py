"""ASGI entry point: HTTP to Django, `/ws/...` to the consumers.

Every socket passes the per-address limits (restaurant/realtime/address_limit.py) and the
Origin check (a missing or `null` Origin, or a host not in ALLOWED_HOSTS, is refused with
403), then gets the Django session (the kitchen's also the user: config/routing.py).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()  # set up Django before importing consumers

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from restaurant.realtime.address_limit import AddressLimitMiddleware  # noqa: E402
from restaurant.realtime.deny import allowed_hosts_origin_validator  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AddressLimitMiddleware(
            allowed_hosts_origin_validator(URLRouter(websocket_urlpatterns))
        ),
    }
)
