from django.apps import AppConfig


class TablesConfig(AppConfig):
    name = "restaurant.tables"
    label = "tables"
