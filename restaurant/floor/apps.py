from django.apps import AppConfig


class FloorConfig(AppConfig):
    """The staff floor: tables at a glance and what staff do to them. It sits above kitchen
    and dining (it shows their state and calls their services); nothing below imports it."""

    name = "restaurant.floor"
    label = "floor"
