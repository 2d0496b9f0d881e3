"""Domain errors raised by the ledger services. Messages are shown to members as they are."""

from django.utils.translation import gettext_lazy as _

from progresonet.refusals import Refusal


class LedgerError(Refusal):
    """Base class: a posting was refused and nothing was written."""

    default_message = _("The operation could not be posted.")


class UnbalancedPosting(LedgerError):
    default_message = _("The posting does not balance.")


class InsufficientFunds(LedgerError):
    default_message = _("The account does not have enough available balance.")


class AccountNotOperational(LedgerError):
    default_message = _("The account is blocked or closed.")


class InvalidAmount(LedgerError):
    default_message = _("The amount is not valid.")


class DuplicatePosting(LedgerError):
    default_message = _("This operation was already processed.")


class PostingUnavailable(LedgerError):
    default_message = _("The operation could not be completed right now. Please try again.")


class ExchangeRateMissing(LedgerError):
    default_message = _("There is no exchange rate for that date.")


class ExchangeRateRefused(LedgerError):
    """A proposed rate, or its approval, was refused; ``field`` names the form field at fault."""

    default_message = _("The exchange rate was not accepted.")
