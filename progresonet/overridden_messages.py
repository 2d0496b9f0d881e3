"""Messages of Django's own apps that the cooperative words differently.

``make messages`` extracts only what our code says, and drops from a catalogue whatever no
code says (``--no-obsolete``); a re-translation of another app's msgid must therefore be named
somewhere it reads. Here it is: marked with ``gettext_noop`` (never translated at import), it
stays in the project catalogue (``locale/``), which Django consults before every app's.
"""

from django.utils.translation import gettext_noop

OVERRIDDEN = (
    # django.contrib.auth's ``is_staff`` ("Es staff"): a clerk reads Spanish, not "staff".
    gettext_noop("staff status"),
)
