"""The handlers of printing's staff ops: ``handler(op, staff)``, ``staff`` as the kitchen's
`restaurant.kitchen.ops.Staff` (``restaurant``, ``user_id``, ``role``); the role was asked
for `Action.TICKET_REPRINT` before, in the op's transaction."""

from restaurant.printing import services
from restaurant.printing.protocol import PrintJobResolve, TicketReprint


def ticket_reprint(op: TicketReprint, staff) -> None:
    services.ticket_reprint(restaurant=staff.restaurant, order_id=op.order_id,
                            station_id=op.station_id, by_id=staff.user_id)  # fmt: skip


def print_job_resolve(op: PrintJobResolve, staff) -> None:
    services.print_job_resolve(restaurant=staff.restaurant, job_id=op.job_id,
                               reprint=op.reprint, by_id=staff.user_id)  # fmt: skip
