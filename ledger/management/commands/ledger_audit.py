from django.core.management.base import BaseCommand, CommandError

from ledger.invariants import ledger_breaches


class Command(BaseCommand):
    help = (
        "Verify the ledger: every posting balances per currency, every stored balance equals "
        "the sum of its lines, running balances chain, no member balance is negative. "
        "Exits non-zero on any breach."
    )

    def handle(self, *args, **options) -> None:
        breaches = ledger_breaches()
        if breaches:
            for breach in breaches:
                self.stderr.write(breach)
            raise CommandError(f"ledger audit failed: {len(breaches)} breach(es)")
        self.stdout.write(self.style.SUCCESS("ledger audit passed"))
