from django.core.management.base import BaseCommand

from progresonet.demo import demo_load


class Command(BaseCommand):
    help = "Load the demo members, users, accounts and movements (idempotent; see README)."

    def handle(self, *args, **options) -> None:
        created = demo_load()
        self.stdout.write(
            self.style.SUCCESS(
                f"demo data ready ({created['members']} member(s) and "
                f"{created['accounts']} account(s) created)"
            )
        )
