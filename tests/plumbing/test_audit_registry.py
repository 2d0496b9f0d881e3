"""audit.registry: each stored value (an audit event, a signing purpose) has one owner, and its
name is the owner's label."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils import translation

from audit.registry import Registry, events, purposes, register_events, register_purposes


class First(models.TextChoices):
    ONE = "x.one", "One"
    TWO = "x.two", "Two"


class Second(models.TextChoices):
    TWO = "x.two", "Two again"
    THREE = "x.three", "Three"


def test_a_registered_value_is_named_by_its_label_and_an_unknown_one_by_itself():
    registry = Registry("Audit event")
    assert registry.register(First) is First  # usable as a class decorator
    assert registry.label("x.one") == "One"
    assert registry.label("x.gone") == "x.gone"
    assert sorted(registry.choices()) == [("x.one", "One"), ("x.two", "Two")]
    assert registry.enums() == {First}


def test_a_value_claimed_by_a_second_enum_is_refused_and_nothing_of_it_is_kept():
    registry = Registry("Audit event")
    registry.register(First)
    with pytest.raises(ImproperlyConfigured, match=r"^Audit event 'x\.two'.*First.*Second"):
        registry.register(Second)
    assert registry.label("x.two") == "Two"
    assert registry.label("x.three") == "x.three"  # checked before anything was recorded
    assert registry.enums() == {First}


def test_the_same_enum_registered_again_is_no_conflict():
    """A module imported twice (a reload) declares the same enum again under the same name."""
    registry = Registry("Audit event")
    registry.register(First)
    registry.register(First)
    assert registry.enums() == {First}


def test_an_app_cannot_claim_an_event_another_app_declared():
    before = events.choices()

    class Impostor(models.TextChoices):
        CREATED = "transfer.created", "Something else"

    with pytest.raises(ImproperlyConfigured, match="transfers.events.TransferEvent"):
        register_events(Impostor)
    assert events.choices() == before


def test_an_app_cannot_claim_a_signing_purpose_another_app_declared():
    """A second owner of "transfer.execute" would rename what every transfer's PIN was for."""
    before = purposes.choices()

    class Impostor(models.TextChoices):
        EXECUTE = "transfer.execute", "Something else"

    with pytest.raises(
        ImproperlyConfigured, match=r"^Signing purpose 'transfer\.execute'.*TransferPurpose"
    ):
        register_purposes(Impostor)
    assert purposes.choices() == before


def test_events_and_purposes_are_two_registries():
    """Each names its own stored values: an event is not a purpose, nor the other way round."""
    assert register_events is not register_purposes
    assert {value for value, _ in events.choices()}.isdisjoint(
        value for value, _ in purposes.choices()
    )
    assert events.label("transfer.execute") == "transfer.execute"
    assert purposes.label("transfer.created") == "transfer.created"
    with translation.override("en"):
        assert str(purposes.label("transfer.execute")) == "Make a transfer"
