from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "restaurant.realtime"
    label = "realtime"
