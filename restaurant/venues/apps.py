from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "restaurant.venues"
    label = "venues"
    verbose_name = "Restaurants and staff"
