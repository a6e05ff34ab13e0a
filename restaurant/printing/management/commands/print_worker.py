"""`python manage.py print_worker`: send the kitchen's print jobs until stopped (supervisord
in production, `manage.py serve` beside the embedded server). `--once`: what is due now,
then exit."""

import signal

from django.core.management.base import BaseCommand

from restaurant.printing import relay
from restaurant.printing.worker import Worker


class Command(BaseCommand):
    help = "Send queued kitchen tickets to the stations' printers (ESC/POS over TCP)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="send what is due, then exit")
        parser.add_argument(
            "--threads",
            type=int,
            default=8,
            help="stations served at once (one job per station at a time)",
        )
        parser.add_argument(
            "--relay", action="store_true",
            help="write the boards' events to stdout for the parent `serve` to pass on "
                 "(the in-memory channel layer reaches no other process)",
        )  # fmt: skip

    def handle(self, *args, once, threads, **options):
        if options["relay"]:
            relay.events_to_stdout()
        worker = Worker(threads=threads)
        if once:
            worker.run_once()
            return
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: worker.stop())
        worker.run()
