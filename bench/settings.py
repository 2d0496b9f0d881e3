"""Settings for the gunicorn processes (and their data set-up) of the HTTP benchmarks: the
reliability suite's web settings with the production costs that the fast test settings take
out, so a figure measures what a member would wait for:

- the transaction PIN hashed and verified with the production Argon2id parameters;
- Celery not eager: a request only queues the outbox relay on Redis, as in production, instead
  of sending the email inside the request.

``BENCH_NOTICE_BELL=off`` in the environment takes the notice bell's context processor out
(the ``bell`` benchmark's reference half: the same pages without the bell's query).
"""

import os

from progresonet.settings import base
from tests.reliability.settings import *  # noqa: F403

PIN_ARGON2_TIME_COST = base.PIN_ARGON2_TIME_COST
PIN_ARGON2_MEMORY_KIB = base.PIN_ARGON2_MEMORY_KIB
PIN_ARGON2_PARALLELISM = base.PIN_ARGON2_PARALLELISM
CELERY_TASK_ALWAYS_EAGER = False

if os.environ.get("BENCH_NOTICE_BELL") == "off":
    TEMPLATES = [  # noqa: F405
        {
            **engine,
            "OPTIONS": {
                **engine["OPTIONS"],
                "context_processors": [
                    name
                    for name in engine["OPTIONS"]["context_processors"]
                    if name != "notices.context_processors.notice_bell"
                ],
            },
        }
        for engine in TEMPLATES  # noqa: F405
    ]
