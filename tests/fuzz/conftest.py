"""Hypothesis profiles: ``make test`` runs a modest number of examples per form ("default");
``make reliability`` sets HYPOTHESIS_PROFILE=reliability for at least 1,000 each."""

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    # Examples share the test's transaction and its test client on purpose (sessions, wizard
    # state and lockouts accumulate as a real attacker's would).
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    "deadline": None,  # no timed assertions
    "derandomize": False,
    "database": None,  # no example database written into the tree
}
settings.register_profile("default", max_examples=30, **_COMMON)
settings.register_profile("reliability", max_examples=1000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
