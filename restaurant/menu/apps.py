from django.apps import AppConfig


class MenuConfig(AppConfig):
    name = "restaurant.menu"
    label = "menu"
