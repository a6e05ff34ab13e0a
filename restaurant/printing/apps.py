from django.apps import AppConfig


class PrintingConfig(AppConfig):
    name = "restaurant.printing"
    label = "printing"
    verbose_name = "Kitchen printers"

    def ready(self) -> None:
        # The kitchen sits below printing and never imports it: the tickets of a round (and
        # of a void), the staff ops and the printers' part of a staff snapshot are handed to
        # it here (restaurant/kitchen/hooks.py).
        from restaurant.kitchen import hooks
        from restaurant.printing import ops, protocol, services
        from restaurant.venues.roles import Action

        hooks.round_submitted_register(services.print_jobs_for_round)
        hooks.round_confirmed_register(services.print_jobs_for_confirmed_round)
        hooks.round_held_again_register(services.print_jobs_held_again)
        hooks.item_voided_register(services.print_job_void)
        hooks.item_unvoided_register(services.print_job_unvoid)
        hooks.staff_op_register(protocol.TicketReprint, ops.ticket_reprint, Action.TICKET_REPRINT)
        hooks.staff_op_register(
            protocol.PrintJobResolve, ops.print_job_resolve, Action.TICKET_REPRINT
        )
        hooks.snapshot_part_register("printers", services.printers_state)
        hooks.snapshot_part_register("print_jobs_uncertain", services.print_jobs_uncertain)

        # However a printer goes (the admin's delete, printer_set none), its tickets not yet
        # sent go with it: printed hours later on the next printer, they would be cooked.
        from django.db.models.signals import post_delete

        from restaurant.printing.models import Printer

        post_delete.connect(services.printer_deleted, sender=Printer,
                            dispatch_uid="printer_deleted")  # fmt: skip
