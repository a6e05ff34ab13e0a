from django.apps import AppConfig


class DiningConfig(AppConfig):
    name = "restaurant.dining"
    label = "dining"
