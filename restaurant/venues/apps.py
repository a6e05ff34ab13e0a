from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "restaurant.venues"
    label = "venues"
    verbose_name = "Restaurants and staff"

    def ready(self) -> None:
        from restaurant.realtime import liveness
        from restaurant.venues import access

        access.connect_signals()
        # The upkeep (a library below venues) sweeps staff sockets with this app's access
        # check: whether each socket's user still holds a role that may see it.
        liveness.on_access_sweep(access.staff_accesses_holding)
