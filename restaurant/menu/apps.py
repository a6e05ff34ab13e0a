from django.apps import AppConfig


class MenuConfig(AppConfig):
    name = "restaurant.menu"
    label = "menu"

    def ready(self) -> None:
        from restaurant.menu import signals

        signals.connect()
