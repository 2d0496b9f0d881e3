from django.core.management.base import BaseCommand, CommandError

from demo.data import DemoRefused, demo_load


class Command(BaseCommand):
    help = "Load the demo members, users, accounts and movements (idempotent; see README)."

    def handle(self, *args, **options) -> None:
        try:
            created = demo_load()
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"demo data ready ({created['members']} member(s) and "
                f"{created['accounts']} account(s) created)"
            )
        )
