from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "restaurant.core"
    label = "core"

    def ready(self) -> None:
        from restaurant.core import access
        from restaurant.realtime import liveness

        access.connect_signals()
        # The upkeep (a library below core) sweeps staff sockets with core's access check.
        liveness.on_access_sweep(access.staff_accesses_holding)
