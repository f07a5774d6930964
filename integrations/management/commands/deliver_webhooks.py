import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from integrations.delivery import deliver_due


class Command(BaseCommand):
    help = (
        "Deliver webhook events: fan new events out, attempt due deliveries, retry with backoff. "
        "Runs until stopped (one machine; several are safe too), or once with --once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Deliver what is due now, then exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between polls when idle.")

    def handle(self, *args, once: bool = False, interval: float = 2.0, **options):
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        total = 0
        while not stopping:
            made = deliver_due()
            total += made
            if once and not made:
                break
            if not made:
                time.sleep(interval)
                # A long-running loop must not keep a dead or stale connection forever.
                close_old_connections()
        self.stdout.write(f"Made {total} delivery attempts.")
