from django.apps import AppConfig


class FloorConfig(AppConfig):
    """The staff floor: tables at a glance and what staff do to them. It sits above kitchen
    and dining (it shows their state and calls their services); nothing below imports it."""

    name = "restaurant.floor"
    label = "floor"

    def ready(self) -> None:
        # Moving, joining and splitting meals are staff socket ops of the floor, applied by
        # the kitchen's op path (restaurant/kitchen/hooks.py), which never imports this app.
        from restaurant.floor import moves, protocol
        from restaurant.kitchen import hooks
        from restaurant.venues.roles import Action

        for op_cls in protocol.FLOOR_OPS:
            hooks.staff_op_register(op_cls, moves.table_op_apply, Action.TABLE_MOVE)
