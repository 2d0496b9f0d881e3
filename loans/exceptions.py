"""Domain errors of the loans app. Messages are shown to members as they are."""

from django.utils.translation import gettext_lazy as _

from progresonet.refusals import Refusal


class LoanError(Refusal):
    """Base class: the operation was refused and nothing was written."""

    default_message = _("The loan operation could not be completed.")


class LoanNotActive(LoanError):
    default_message = _("This loan is already paid off.")


class InvalidLoanTerms(LoanError):
    default_message = _("The loan conditions are not valid.")


class InvalidSelection(LoanError):
    default_message = _("The selected instalments are not valid. Please choose them again.")


class OlderInstalmentPending(LoanError):
    default_message = _("Pay the oldest pending instalment first.")


class InstalmentAlreadyPaid(LoanError):
    default_message = _("That instalment is already paid.")


class InvalidPaymentAmount(LoanError):
    default_message = _("Enter an amount greater than zero with at most two decimals.")


class AmountExceedsDebt(LoanError):
    default_message = _("The amount is larger than what is owed on the loan.")


class SourceAccountNotAllowed(LoanError):
    default_message = _("You cannot pay from that account.")


class CurrencyMismatch(LoanError):
    default_message = _("The account currency does not match the loan currency.")


class PaymentChanged(LoanError):
    """What the payment would post now differs from what the member saw and signed."""

    default_message = _("The amount to pay changed since it was shown. Please review it again.")


class PaymentAlreadyProcessed(LoanError):
    default_message = _("This payment was already processed.")

    def __init__(self, payment=None, message: str | None = None) -> None:
        self.payment = payment
        super().__init__(message)
