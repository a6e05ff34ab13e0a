from django.apps import AppConfig


class KitchenConfig(AppConfig):
    name = "restaurant.kitchen"
    label = "kitchen"
