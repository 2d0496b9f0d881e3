""" "Mis transferencias": what the member made and what they co-sign, each once, in a fixed
number of queries (bench/mix.py requests it ~2 times a second)."""

from decimal import Decimal

import pytest

from ledger.models import Account
from tests.factories import (
    make_account,
    make_member,
    make_user,
    priced_transfer_execute,
    signed_transfer_cosign,
)
from transfers.models import TransferStatus, TransferType
from transfers.selectors import member_transfer_get, member_transfers_list
from transfers.services import TransferOrder

pytestmark = pytest.mark.django_db


def _transfer(user, source, destination, amount="10.00"):
    order = TransferOrder(
        transfer_type=TransferType.OWN,
        source_account_id=source.pk,
        destination_account_id=destination.pk,
        currency=source.currency,
        amount=Decimal(amount),
        description="Ahorro",
    )
    return priced_transfer_execute(user=user, order=order)


@pytest.fixture
def joint_holders():
    """María owns a joint account with Juan; both have transfers of their own."""
    maria, juan = make_member(), make_member()
    maria_user, juan_user = make_user(member=maria), make_user(member=juan)
    joint = make_account(
        member=maria, holder_mode=Account.HolderMode.CONJUNTA, co_holders=(juan,), balance="1000"
    )
    maria_savings = make_account(member=maria, balance="500")
    juan_savings, juan_other = make_account(member=juan, balance="500"), make_account(member=juan)
    transfers = {
        "maria_own": _transfer(maria_user, maria_savings, joint),
        "joint_pending": _transfer(maria_user, joint, maria_savings),
        "joint_signed": _transfer(maria_user, joint, maria_savings, amount="20.00"),
        "juan_own": _transfer(juan_user, juan_savings, juan_other),
    }
    signed_transfer_cosign(user=juan_user, transfer_id=transfers["joint_signed"].pk, approve=True)
    return maria_user, juan_user, transfers


def test_list_holds_own_and_cosigned_transfers_once_each(joint_holders):
    maria_user, juan_user, t = joint_holders
    assert t["joint_pending"].status == TransferStatus.PENDING_COSIGN
    maria = list(member_transfers_list(member_id=maria_user.member_id))
    juan = list(member_transfers_list(member_id=juan_user.member_id))
    # Newest first; Juan sees the joint transfers he must co-sign or co-signed, not María's own.
    assert maria == [t["joint_signed"], t["joint_pending"], t["maria_own"]]
    assert juan == [t["juan_own"], t["joint_signed"], t["joint_pending"]]
    stranger = make_member()
    assert list(member_transfers_list(member_id=stranger.pk)) == []
    # The shape the member index serves (bench/README.md, mix): no join on the co-signatures
    # and no DISTINCT, which made PostgreSQL scan and sort the whole table.
    sql = str(member_transfers_list(member_id=juan_user.member_id).query)
    assert "transfers_cosignature" not in sql and "DISTINCT" not in sql
    assert member_transfer_get(member_id=juan_user.member_id, transfer_id=t["joint_pending"].pk)


def test_foreign_transfer_is_a_404(joint_holders):
    from django.http import Http404

    maria_user, juan_user, t = joint_holders
    with pytest.raises(Http404):
        member_transfer_get(member_id=juan_user.member_id, transfer_id=t["maria_own"].pk)
    with pytest.raises(Http404):
        member_transfer_get(member_id=None, transfer_id=t["maria_own"].pk)


@pytest.mark.parametrize("who", ["maria", "juan"])
def test_transfer_list_query_count_is_pinned(client, joint_holders, who, django_assert_num_queries):
    maria_user, juan_user, _ = joint_holders
    client.force_login(maria_user if who == "maria" else juan_user)
    # session, user, pending co-signatures, co-signed ids, one page of transfers with their
    # accounts and bank (joined), the bell; no session write (accounts.session_store).
    with django_assert_num_queries(6):
        response = client.get("/transferencias/")
    assert response.status_code == 200
    assert response.content.decode().count("/transferencias/comprobante/") == 3
