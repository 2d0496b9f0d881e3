"""Settings for the gunicorn processes of the reliability suite: the test settings, plus
request errors logged to stderr (gunicorn's log) so a 500 comes with its traceback."""

from progresonet.settings.test import *  # noqa: F403

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "loggers": {
        "django.request": {"handlers": ["stderr"], "level": "ERROR", "propagate": False},
        "ledger": {"handlers": ["stderr"], "level": "WARNING"},
        "transfers": {"handlers": ["stderr"], "level": "WARNING"},
    },
}
