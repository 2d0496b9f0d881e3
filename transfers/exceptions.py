from django.utils.translation import gettext_lazy as _

from progresonet.refusals import Refusal


class TransferError(Refusal):
    """A transfer was refused; ``message`` is shown to the member and nothing was written."""

    default_message = _("The transfer could not be made.")


class StaleQuote(TransferError):
    default_message = _(
        "The transfer details changed after you reviewed them. Please review them again."
    )


class DeclarationsRequired(TransferError):
    """Over the 5-day regulatory amount without both declarations: a scheduled occurrence is
    held (not failed) on it, and the member is asked for them."""
