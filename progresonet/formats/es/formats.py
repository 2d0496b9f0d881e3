"""Dates and numbers as the cooperative's guide prints them, wherever Django formats one by
default (``{{ value }}``, ``date_format``, the admin): "29/07/2022 - 12:00:00" in the guide,
dd/mm/yyyy here; comma decimals and dot thousands ("1.000,00"). Django's own ``es`` formats
spell the month out ("29 de julio de 2022"), which the guide never does."""

DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = "d/m/Y"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
TIME_FORMAT = "H:i"
# Input formats stay Django's: a DateInput renders its value with the first of them, and
# an <input type="date"> needs ISO.
FIRST_DAY_OF_WEEK = 1  # Monday
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
