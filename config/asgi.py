"""ASGI entry point: HTTP to Django, `/ws/...` to the consumers.

Every request and socket gets its client address from one place
(restaurant/core/client_address.py). Every socket passes the per-address limits
(restaurant/realtime/address_limit.py) and the Origin check (a missing or `null` Origin, or
one that is not the site's own scheme, host and port, is refused with 403), then gets the
Django session (the kitchen's also the user: config/routing.py).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()  # set up Django before importing consumers

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from restaurant.core.client_address import ClientAddressMiddleware  # noqa: E402
from restaurant.realtime.address_limit import AddressLimitMiddleware  # noqa: E402
from restaurant.realtime.deny import StrictOriginValidator  # noqa: E402

# The client's address is decided first (restaurant/core/client_address.py): every limit and
# view after it reads `scope["client"]`.
application = ClientAddressMiddleware(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AddressLimitMiddleware(
                StrictOriginValidator(URLRouter(websocket_urlpatterns))
            ),
        }
    )
)
