"""Emails to a member about their own transfer (the receipt, a rejection by the other bank)."""

from outbox.services import email_enqueue

from .models import Transfer


def transfer_email_member(
    transfer: Transfer, *, subject: str, template: str, context: dict
) -> None:
    """Queue an email about ``transfer`` to the user who made it, else to the member's address
    on record; nothing when neither has one."""
    to = transfer.created_by.email or transfer.member.email
    if to:
        email_enqueue(to=to, subject=subject, template=template, context=context)
