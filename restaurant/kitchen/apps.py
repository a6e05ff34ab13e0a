from django.apps import AppConfig


class KitchenConfig(AppConfig):
    name = "restaurant.kitchen"
    label = "kitchen"

    def ready(self) -> None:
        # Dining sits below the kitchen and does not import it: the diner ops and the parts of
        # a meal that are the kitchen's are handed to it here.
        from restaurant.dining import ops as diner_ops
        from restaurant.dining import protocol as diner_protocol
        from restaurant.dining import selectors as dining_selectors
        from restaurant.kitchen import counts, hooks, items, meal_ops, selectors, services
        from restaurant.venues.roles import Action

        diner_ops.handler_register(
            diner_protocol.OrderSubmit,
            lambda s, d, op: services.order_submit(session=s, diner=d, seq=op.seq),
        )
        diner_ops.handler_register(
            diner_protocol.WaiterCall,
            lambda s, d, op: services.waiter_call(session=s, diner=d, reason=op.reason),
        )
        diner_ops.handler_register(
            diner_protocol.ItemNudge,
            lambda s, d, op: items.item_nudge(session=s, diner=d, item_id=op.item_id),
        )
        hooks.staff_op_register(meal_ops.TableMealSet, meal_ops.table_meal_set, Action.MEAL_EDIT)
        hooks.staff_op_register(
            meal_ops.OrderingPause, meal_ops.ordering_pause, Action.ORDERING_PAUSE
        )
        dining_selectors.meal_part_register("orders", selectors.meal_orders)
        dining_selectors.meal_part_register("calls", selectors.meal_calls)
        # Portions of counted dishes come back with a void, go again with its recall.
        hooks.item_voided_register(counts.item_voided)
        hooks.item_unvoided_register(counts.item_unvoided)
