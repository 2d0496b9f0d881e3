"""Password rule printed in the cooperative's guide: 8 to 12 characters with upper case,
lower case and digits (e.g. "Cancionero45")."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MIN_LENGTH = 8
MAX_LENGTH = 12


class CooperativePasswordValidator:
    def validate(self, password: str, user: object = None) -> None:
        errors = []
        if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
            errors.append(
                ValidationError(
                    _("The password must have between %(min)d and %(max)d characters."),
                    code="password_length",
                    params={"min": MIN_LENGTH, "max": MAX_LENGTH},
                )
            )
        if not re.search(r"[A-ZÁÉÍÓÚÑ]", password):
            errors.append(
                ValidationError(
                    _("The password must contain at least one upper-case letter."),
                    code="password_no_upper",
                )
            )
        if not re.search(r"[a-záéíóúñ]", password):
            errors.append(
                ValidationError(
                    _("The password must contain at least one lower-case letter."),
                    code="password_no_lower",
                )
            )
        if not re.search(r"\d", password):
            errors.append(
                ValidationError(
                    _("The password must contain at least one digit."), code="password_no_digit"
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _(
            "Between %(min)d and %(max)d characters, with upper-case and lower-case letters and "
            "digits, for example Cancionero45."
        ) % {"min": MIN_LENGTH, "max": MAX_LENGTH}
