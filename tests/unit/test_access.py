"""The allowlist keeps an owner, the audit log pages and stays bounded, and an unknown
user is refused out loud at most once per interval, across restarts too."""

from __future__ import annotations

import sqlite3

import pytest

from tests.unit.conftest import Clock
from tgbridge.security.access import AccessError, AccessStore
from tgbridge.security.roles import ROLES, Role, allows, parse_role


@pytest.fixture
def access(db: sqlite3.Connection, clock: Clock) -> AccessStore:
    return AccessStore(db, clock=clock)


def test_roles_are_ordered_owner_collaborator_viewer() -> None:
    assert ROLES == ("owner", "collaborator", "viewer")
    table = {(role, needed): allows(role, needed) for role in ROLES for needed in ROLES}
    assert table == {
        ("owner", "owner"): True,
        ("owner", "collaborator"): True,
        ("owner", "viewer"): True,
        ("collaborator", "owner"): False,
        ("collaborator", "collaborator"): True,
        ("collaborator", "viewer"): True,
        ("viewer", "owner"): False,
        ("viewer", "collaborator"): False,
        ("viewer", "viewer"): True,
    }
    assert not any(allows(None, needed) for needed in ROLES)


def test_parse_role_takes_what_people_type() -> None:
    assert parse_role(" Viewer ") == "viewer"
    assert parse_role("OWNER") == "owner"
    assert parse_role("collaborator") == "collaborator"
    assert parse_role("admin") is None
    assert parse_role("") is None


def test_users_are_listed_owner_first_then_by_when_added(access: AccessStore, clock: Clock) -> None:
    assert access.users() == [] and access.owner() is None and access.role_of(1) is None
    access.add(10, "viewer", "Vera")
    clock.now += 1
    access.add(20, "owner", "Olga")
    clock.now += 1
    access.add(30, "collaborator", "Cole")
    assert [u.user_id for u in access.users()] == [20, 10, 30]
    owner = access.owner()
    assert owner is not None and owner.name == "Olga"
    assert access.role_of(30) == "collaborator"
    # add is an upsert: the role and name change, when they were added does not
    before = access.get(10)
    assert before is not None
    again = access.add(10, "collaborator", "Vera B.")
    assert (again.role, again.name, again.added_at) == ("collaborator", "Vera B.", before.added_at)
    assert access.get(10) == again


def test_the_last_owner_cannot_be_removed_or_demoted(access: AccessStore) -> None:
    access.add(1, "owner", "Olga")
    access.add(2, "viewer", "Vera")
    for change in (
        lambda: access.remove(1),
        lambda: access.set_role(1, "collaborator"),
        lambda: access.add(1, "viewer", "Olga"),
    ):
        with pytest.raises(AccessError) as raised:
            change()
        assert "last owner" in raised.value.message
    assert access.role_of(1) == "owner"
    # with a second owner, the first may go
    access.set_role(2, "owner")
    access.set_role(1, "viewer")
    assert access.role_of(1) == "viewer"
    access.remove(1)
    assert access.get(1) is None
    with pytest.raises(AccessError):
        access.remove(2)


def test_unknown_users_cannot_be_changed(access: AccessStore) -> None:
    with pytest.raises(AccessError, match="not on the allowlist"):
        access.set_role(5, "viewer")
    with pytest.raises(AccessError, match="not on the allowlist"):
        access.remove(5)


def test_the_audit_log_pages_newest_first_and_counts(access: AccessStore, clock: Clock) -> None:
    for n in range(25):
        clock.now += 1
        access.audit(n % 3, "cmd", "ok" if n % 2 else "denied", f"detail {n}")
    access.audit(None, "startup", "ok", "x" * 2000)
    first = access.audit_log(limit=10)
    assert [row.detail for row in first[1:4]] == ["detail 24", "detail 23", "detail 22"]
    assert first[0].user_id is None and first[0].detail == "x" * 500
    second = access.audit_log(limit=10, before_id=first[-1].id)
    third = access.audit_log(limit=10, before_id=second[-1].id)
    rows = first + second + third
    assert len(rows) == 26 and len({row.id for row in rows}) == 26
    assert [row.id for row in rows] == sorted((row.id for row in rows), reverse=True)
    assert rows[-1].detail == "detail 0" and rows[-1].at == 1_000_001.0
    assert access.audit_log(before_id=rows[-1].id) == []
    assert access.audit_count() == 26
    assert access.audit_count(action="cmd") == 25
    assert access.audit_count(user_id=0) == 9
    assert access.audit_count(action="cmd", outcome="ok") == 12
    assert access.audit_count(user_id=1, outcome="denied") == 4


def test_the_audit_log_keeps_at_most_the_cap(db: sqlite3.Connection, clock: Clock) -> None:
    access = AccessStore(db, clock=clock, audit_cap=10, audit_prune_every=5)
    for n in range(1, 51):
        access.audit(1, "cmd", "ok", str(n))
        assert access.audit_count() <= 10 + 4  # pruned every 5th insert, at most 4 over
    assert access.audit_count() == 14
    access.audit(1, "cmd", "ok", "51")  # the 51st insert prunes (1st, 6th, …)
    assert [row.detail for row in access.audit_log(limit=100)] == [
        str(n) for n in range(51, 41, -1)
    ]


def test_an_unknown_user_is_refused_out_loud_once_per_interval(
    access: AccessStore, clock: Clock
) -> None:
    assert access.should_answer_refusal(7) is True
    assert access.should_answer_refusal(7) is False
    assert access.should_answer_refusal(8) is True  # per user
    clock.now += 3599
    assert access.should_answer_refusal(7) is False
    clock.now += 1
    assert access.should_answer_refusal(7) is True
    assert access.should_answer_refusal(7) is False
    assert access.audit_count(user_id=7, action="refusal", outcome="answered") == 2


def test_the_refusal_interval_survives_a_restart(db: sqlite3.Connection, clock: Clock) -> None:
    assert AccessStore(db, clock=clock).should_answer_refusal(7) is True
    clock.now += 1800
    restarted = AccessStore(db, clock=clock)
    assert restarted.should_answer_refusal(7) is False
    assert restarted.should_answer_refusal(8) is True
    clock.now += 1800
    assert restarted.should_answer_refusal(7) is True


def test_refusals_use_the_given_interval(db: sqlite3.Connection, clock: Clock) -> None:
    access = AccessStore(db, clock=clock, refusal_interval=60)
    assert access.should_answer_refusal(7)
    clock.now += 59
    assert not access.should_answer_refusal(7)
    clock.now += 1
    assert access.should_answer_refusal(7)


def _role(text: str) -> Role:
    role = parse_role(text)
    assert role is not None
    return role


def test_roles_round_trip_through_the_store(access: AccessStore) -> None:
    for n, name in enumerate(ROLES):
        access.add(n, _role(name.upper()), name)
    assert [access.role_of(n) for n in range(3)] == list(ROLES)
