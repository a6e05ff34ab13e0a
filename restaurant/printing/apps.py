from django.apps import AppConfig


class PrintingConfig(AppConfig):
    name = "restaurant.printing"
    label = "printing"
