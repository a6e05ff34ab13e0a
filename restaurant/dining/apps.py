from django.apps import AppConfig


class DiningConfig(AppConfig):
    name = "restaurant.dining"
    label = "dining"

    def ready(self) -> None:
        # The per-process upkeep (restaurant/realtime/liveness.py) is a library below every
        # app: what it does to the meals' presence is handed to it here.
        from restaurant.dining import services
        from restaurant.realtime import liveness

        liveness.on_beat(
            beat=services.server_beat,
            was_reaped=services.server_was_reaped,
            end_idle=services.minute_upkeep,
        )
