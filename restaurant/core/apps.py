from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "restaurant.core"
    label = "core"

    def ready(self) -> None:
        from restaurant.core import access

        access.connect_signals()
