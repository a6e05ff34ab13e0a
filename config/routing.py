"""Socket routes. Diners are known by their Django session (the table page stores their diner
ids there), so their route loads the session only; the kitchen needs the staff user too.
(`AuthMiddlewareStack` on every diner socket resolved an anonymous user per connect, on
asgiref's one shared thread.)"""

from channels.auth import AuthMiddleware
from channels.sessions import SessionMiddlewareStack
from django.urls import path

from restaurant.dining.consumers import TableConsumer
from restaurant.floor.consumers import FloorConsumer
from restaurant.kitchen.consumers import KitchenConsumer

websocket_urlpatterns = [
    path("ws/table/<str:token>/", SessionMiddlewareStack(TableConsumer.as_asgi())),
    path("ws/kitchen/", SessionMiddlewareStack(AuthMiddleware(KitchenConsumer.as_asgi()))),
    path("ws/floor/", SessionMiddlewareStack(AuthMiddleware(FloorConsumer.as_asgi()))),
]
