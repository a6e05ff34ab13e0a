"""The staff socket ops of printing (docs/printing.md), decoded by the kitchen's sockets once
`PrintingConfig.ready` registers them (restaurant/kitchen/hooks.py)."""

from restaurant.dining.protocol import Id
from restaurant.kitchen.protocol import _Op


class TicketReprint(_Op, tag="ticket.reprint"):
    """Print a station's ticket of a round again, under 重印 / REPRINT."""

    order_id: Id
    station_id: Id


class PrintJobResolve(_Op, tag="print_job.resolve"):
    """Settle a job that may have printed: ``reprint`` it, or take it as printed."""

    job_id: Id
    reprint: bool
