from django.urls import path

from restaurant.dining.consumers import TableConsumer
from restaurant.kitchen.consumers import KitchenConsumer

websocket_urlpatterns = [
    path("ws/table/<str:token>/", TableConsumer.as_asgi()),
    path("ws/kitchen/", KitchenConsumer.as_asgi()),
]
