"""Outbox faults with real processes at a small size (``make reliability`` runs the issue's
size; see outbox_faults.py): Redis stopped during registrations over HTTP, and a Celery
worker SIGKILLed in the middle of an SMTP delivery."""

import pytest

from . import outbox_faults

pytestmark = pytest.mark.slow


def test_redis_stopped_during_registrations_every_email_once():
    figures = outbox_faults.registration_outage_scenario(registrants=10, concurrency=5)
    # Every registrant, each from its own address, was accepted and answered cleanly ...
    assert figures["submitted"] == 10, figures["not_submitted"]
    assert figures["responses_5xx"] == 0, figures["statuses"]
    # ... while nothing could be published: the rows waited in the outbox.
    assert figures["pending_during_outage"] == figures["outbox_rows_during_outage"] == 10
    assert figures["delivered_during_outage"] == 0
    assert figures["publish_failures_logged"] == 10
    # After the restart: one confirmation email per registrant, none twice, none pending.
    assert figures["emails_delivered"] == 10
    assert figures["recipients_served"] == 10
    assert figures["unexpected_recipients"] == []
    assert figures["duplicates"] == 0
    assert figures["recipients_twice"] == 0
    assert figures["message_ids_match_outbox"]
    assert figures["outbox_not_sent"] == 0
    assert outbox_faults.registration_outage_passed(figures)


def test_worker_killed_mid_send_each_message_delivered_once(transactional_db):
    """One phase of four, to keep make test quick (make reliability runs all four, including
    the at-least-once one): the worker and its pool child are SIGKILLed when the whole
    message has reached the SMTP server but the server has not answered."""
    from tests.integration_fixtures import _test_database_url

    phases = ("data_no_reply",)
    figures = outbox_faults.worker_kill_scenario(
        phases=phases, messages=4, db_url=_test_database_url()
    )
    for kill in figures["kills"]:
        expected = outbox_faults.EXPECTED[kill["phase"]]
        assert kill["processes_killed"] >= 2, kill  # the worker and its forked pool child
        # The claim (attempt counted, lease taken) was committed before the send began.
        assert kill["row_at_kill"] == {
            "status": expected["status_at_kill"],
            "attempts": 1,
            "error": "",
        }, kill
        assert kill["delivered_at_kill"] == expected["delivered_at_kill"], kill
    # Sent again after the dead worker's lease ran out: delivered once, like the rest.
    assert figures["deliveries"] == {"data_no_reply": 1}
    assert figures["undisturbed_delivered_once"]
    assert figures["unknown_message_ids"] == []
    assert figures["outbox_not_sent"] == 0
    assert figures["duplicates"] == 0
    assert outbox_faults.worker_kill_passed(figures), figures["timeline"]
