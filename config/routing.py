"""Socket routes. Diners are known by their Django session (the table page stores their diner
ids there), so their route loads the session only, with a scope copied once
(restaurant/realtime/socket_session.py); staff sockets need the staff user too.
(`AuthMiddlewareStack` on every diner socket resolved an anonymous user per connect, on
asgiref's one shared thread.)

A table's token names its restaurant. Staff sockets come in the contract's unprefixed form
(the person's only restaurant, or the one they picked) and per restaurant (`/ws/r/<slug>/`)."""

from channels.auth import AuthMiddleware
from channels.sessions import SessionMiddlewareStack
from django.urls import path

from restaurant.dining.consumers import TableConsumer
from restaurant.floor.consumers import FloorConsumer
from restaurant.floor.waiter import WaiterConsumer
from restaurant.kitchen.consumers import KitchenConsumer
from restaurant.realtime.socket_session import SocketSessionMiddleware


def _staff(consumer):
    return SessionMiddlewareStack(AuthMiddleware(consumer.as_asgi()))


websocket_urlpatterns = [
    path("ws/table/<str:token>/", SocketSessionMiddleware(TableConsumer.as_asgi())),
    path("ws/kitchen/", _staff(KitchenConsumer)),
    path("ws/floor/", _staff(FloorConsumer)),
    path("ws/r/<slug:slug>/kitchen/", _staff(KitchenConsumer)),
    path("ws/r/<slug:slug>/floor/", _staff(FloorConsumer)),
    path("ws/waiter/table/<int:number>/", _staff(WaiterConsumer)),
    path("ws/r/<slug:slug>/waiter/table/<int:number>/", _staff(WaiterConsumer)),
]
