from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "restaurant.core"
    label = "core"
