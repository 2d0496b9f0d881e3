"""The one shape of a refused operation, shared by every app's exceptions (ledger, loans,
transfers): raised before anything is written, it carries a ``message`` for the member, shown
as it is, and may name the form ``field`` at fault."""


class Refusal(Exception):
    """Base of each app's refusals (never raised itself): each app's base class sets
    ``default_message``, in that app's words."""

    default_message: str

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = str(message or self.default_message)
        self.field = field
        super().__init__(self.message)
