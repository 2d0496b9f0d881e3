"""The internal ledger accounts, by code: one enum instead of bare strings across apps.

Every internal account exists once per currency (BOB, USD), seeded by :mod:`ledger.seed` with
the label below as its name, and is found with :func:`ledger.selectors.internal_account_get`.
This module imports nothing from the app, so the seeding data migration may use it.
"""

from django.db import models


class InternalAccount(models.TextChoices):
    VAULT = "VAULT", "Bóveda / caja"
    CLEARING = "CLEARING", "Compensación interbancaria (ACH)"
    FEE_INCOME = "FEE_INCOME", "Ingresos por comisiones"
    FX_POSITION = "FX_POSITION", "Posición cambiaria"
    LOAN_PORTFOLIO = "LOAN_PORTFOLIO", "Cartera de préstamos"
    INTEREST_INCOME = "INTEREST_INCOME", "Ingresos por intereses"
    PENALTY_INCOME = "PENALTY_INCOME", "Ingresos por intereses penales"
