"""Every request loads its user through LockoutBackend.get_user, with a plain statement built
once (progresonet.sql, issue 13): the same user as the ORM's, and the same refusals."""

from django.utils import timezone

from accounts.backends import LockoutBackend
from accounts.models import User
from tests.factories import make_member, make_user


def test_the_plain_statement_loads_the_same_user_as_the_orm(db, django_assert_num_queries):
    user = make_user(member=make_member(), first_name="Ana")
    with django_assert_num_queries(1):
        loaded = LockoutBackend().get_user(user.pk)
    expected = User.objects.get(pk=user.pk)
    assert isinstance(loaded, User)
    assert not loaded._state.adding
    for field in User._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.member == user.member


def test_a_locked_inactive_or_deleted_user_is_not_loaded(db):
    backend = LockoutBackend()
    locked = make_user(member=make_member())
    User.objects.filter(pk=locked.pk).update(locked_at=timezone.now())
    inactive = make_user(member=make_member())
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    gone = make_user()
    gone_pk = gone.pk
    gone.delete()
    assert backend.get_user(locked.pk) is None
    assert backend.get_user(inactive.pk) is None
    assert backend.get_user(gone_pk) is None
    assert backend.get_user(make_user().pk) is not None
