"""Pairing: the first correct code makes the owner, later ones ask the owner; codes
expire, lock after five wrong guesses (from anyone), are used once and never stored."""

from __future__ import annotations

import sqlite3

import pytest

from tests.unit.conftest import Clock
from tgbridge.security.access import AccessError, AccessStore
from tgbridge.security.pairing import ALPHABET, Pairing, PairingCode

OWNER, ALICE, BOB, MALLORY = 1, 2, 3, 4


@pytest.fixture
def access(db: sqlite3.Connection, clock: Clock) -> AccessStore:
    return AccessStore(db, clock=clock)


@pytest.fixture
def pairing(db: sqlite3.Connection, access: AccessStore, clock: Clock) -> Pairing:
    return Pairing(db, access, clock=clock)


def wrong_code(code: PairingCode) -> str:
    """A well-formed code that is not `code`."""
    other = "A" if code.code[0] != "A" else "B"
    return other + code.code[1:]


def test_codes_are_eight_unambiguous_characters(pairing: Pairing, clock: Clock) -> None:
    assert not set("0O1IL") & set(ALPHABET)
    for _ in range(50):
        code = pairing.new_code()
        assert len(code.code) == 8 and set(code.code) <= set(ALPHABET)
        assert code.expires_at == clock.now + 600


def test_the_first_to_pair_becomes_owner_the_next_asks(
    pairing: Pairing, access: AccessStore, clock: Clock
) -> None:
    first = pairing.redeem(OWNER, "Olga", pairing.new_code().code)
    assert first.outcome == "owner" and first.user is not None
    assert (first.user.user_id, first.user.role, first.user.name) == (OWNER, "owner", "Olga")
    assert access.role_of(OWNER) == "owner"

    clock.now += 5
    asked = pairing.redeem(ALICE, "Alice", pairing.new_code().code)
    assert asked.outcome == "pending" and asked.request_id is not None
    assert access.role_of(ALICE) is None
    [request] = pairing.pending()
    assert (request.id, request.user_id, request.name, request.state) == (
        asked.request_id,
        ALICE,
        "Alice",
        "pending",
    )
    assert request.requested_at == clock.now

    user = pairing.approve(asked.request_id, "viewer")
    assert (user.user_id, user.role, user.name) == (ALICE, "viewer", "Alice")
    assert access.role_of(ALICE) == "viewer"
    assert pairing.pending() == []
    approved = pairing.request(asked.request_id)
    assert approved is not None and approved.state == "approved"
    with pytest.raises(AccessError, match="already approved"):
        pairing.approve(asked.request_id, "owner")
    assert access.role_of(ALICE) == "viewer"

    bob = pairing.redeem(BOB, "Bob", pairing.new_code().code)
    assert bob.request_id is not None
    assert pairing.approve(bob.request_id, "collaborator").role == "collaborator"
    assert [u.user_id for u in access.users()] == [OWNER, ALICE, BOB]


def test_a_denied_request_adds_no_one(pairing: Pairing, access: AccessStore) -> None:
    pairing.redeem(OWNER, "Olga", pairing.new_code().code)
    asked = pairing.redeem(MALLORY, "M", pairing.new_code().code)
    assert asked.request_id is not None
    pairing.deny(asked.request_id)
    assert access.role_of(MALLORY) is None and pairing.pending() == []
    denied = pairing.request(asked.request_id)
    assert denied is not None and denied.state == "denied"
    for act in (
        lambda: pairing.approve(asked.request_id or 0, "viewer"),
        lambda: pairing.deny(asked.request_id or 0),
    ):
        with pytest.raises(AccessError):
            act()
    with pytest.raises(AccessError, match="no pairing request"):
        pairing.approve(999, "viewer")
    assert pairing.request(999) is None
    assert access.audit_count(user_id=MALLORY, action="pair", outcome="denied") == 1


def test_a_code_expires_after_ten_minutes(pairing: Pairing, clock: Clock) -> None:
    code = pairing.new_code()
    clock.now += 600
    assert pairing.redeem(OWNER, "Olga", code.code).outcome == "expired"
    assert pairing.redeem(OWNER, "Olga", wrong_code(code)).outcome == "expired"
    code = pairing.new_code()
    clock.now += 599
    assert pairing.redeem(OWNER, "Olga", code.code).outcome == "owner"


def test_five_wrong_tries_lock_the_code_even_for_the_right_one(
    pairing: Pairing, access: AccessStore
) -> None:
    code = pairing.new_code()
    tries = [pairing.redeem(MALLORY + n, "M", wrong_code(code)) for n in range(5)]
    assert [(r.outcome, r.tries_left) for r in tries] == [
        ("wrong", 4),
        ("wrong", 3),
        ("wrong", 2),
        ("wrong", 1),
        ("wrong", 0),
    ]
    assert pairing.redeem(OWNER, "Olga", code.code).outcome == "locked"
    assert pairing.redeem(OWNER, "Olga", wrong_code(code)).outcome == "locked"
    assert access.role_of(OWNER) is None
    # a new code starts again
    fresh = pairing.new_code()
    assert pairing.redeem(MALLORY, "M", wrong_code(fresh)).tries_left == 4
    assert pairing.redeem(OWNER, "Olga", fresh.code).outcome == "owner"
    assert access.audit_count(action="pair", outcome="wrong") == 6
    assert access.audit_count(action="pair", outcome="locked") == 2


def test_a_new_code_replaces_the_old_one(pairing: Pairing) -> None:
    old = pairing.new_code()
    new = pairing.new_code()
    if old.code != new.code:
        assert pairing.redeem(OWNER, "Olga", old.code).outcome == "wrong"
    assert pairing.redeem(OWNER, "Olga", new.code).outcome == "owner"


def test_the_code_ignores_case_spaces_and_dashes(pairing: Pairing) -> None:
    code = pairing.new_code().code
    typed = f"  {code[:4].lower()}-{code[4:6]} {code[6:].lower()}\n"
    assert pairing.redeem(OWNER, "Olga", typed).outcome == "owner"


def test_without_a_code_nothing_pairs(pairing: Pairing, access: AccessStore) -> None:
    assert pairing.redeem(OWNER, "Olga", "ABCDEFGH").outcome == "none"
    assert access.users() == []


def test_a_code_is_used_once(pairing: Pairing, access: AccessStore) -> None:
    pairing.redeem(OWNER, "Olga", pairing.new_code().code)
    code = pairing.new_code().code
    first = pairing.redeem(ALICE, "Alice", code)
    assert first.outcome == "pending"
    assert pairing.redeem(BOB, "Bob", code).outcome == "none"
    # Alice again: her request is still waiting, nothing new is recorded
    assert pairing.redeem(ALICE, "Alice", code) == first
    assert len(pairing.pending()) == 1
    # an allowed user is told so, and the code stays usable
    code = pairing.new_code().code
    already = pairing.redeem(OWNER, "Olga", code)
    assert already.outcome == "already" and already.user is not None
    assert already.user.role == "owner"
    assert pairing.redeem(BOB, "Bob", code).outcome == "pending"


def test_the_first_owner_cannot_pair_twice(pairing: Pairing) -> None:
    code = pairing.new_code().code
    assert pairing.redeem(OWNER, "Olga", code).outcome == "owner"
    assert pairing.redeem(OWNER, "Olga", code).outcome == "already"
    assert pairing.redeem(ALICE, "Alice", code).outcome == "none"


def test_every_redeem_is_audited(pairing: Pairing, access: AccessStore) -> None:
    pairing.redeem(MALLORY, "M", "nope")
    code = pairing.new_code()
    pairing.redeem(MALLORY, "M", wrong_code(code))
    pairing.redeem(OWNER, "Olga", code.code)
    pairing.redeem(OWNER, "Olga", code.code)
    outcomes = [(r.user_id, r.action, r.outcome) for r in reversed(access.audit_log())]
    assert outcomes == [
        (MALLORY, "pair", "none"),
        (MALLORY, "pair", "wrong"),
        (OWNER, "pair", "owner"),
        (OWNER, "pair", "already"),
    ]
    assert all(code.code not in row.detail for row in access.audit_log())


def test_the_code_is_never_stored_in_clear(
    db: sqlite3.Connection, pairing: Pairing, access: AccessStore
) -> None:
    codes = [pairing.new_code() for _ in range(3)]
    pairing.redeem(MALLORY, "M", wrong_code(codes[-1]))
    pairing.redeem(OWNER, "Olga", codes[-1].code)
    pairing.redeem(ALICE, "Alice", pairing.new_code().code)
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert "pairing_codes" in tables
    text: list[str] = []
    for table in tables:
        for row in db.execute(f'SELECT * FROM "{table}"'):
            text.extend(str(value).upper() for value in row)
    everything = "\n".join(text)
    for code in codes:
        assert code.code not in everything
