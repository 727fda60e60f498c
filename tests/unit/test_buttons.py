"""Inline buttons act once: per group, for the user they were shown to, under their own
message, before they expire; even two presses racing on two connections act once."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from tests.unit.conftest import Clock
from tgbridge.security.buttons import Buttons, Pressed, Refused
from tgbridge.store.database import open_database

USER, OTHER, CHAT, MESSAGE = 10, 11, 100, 555


@pytest.fixture
def buttons(db: sqlite3.Connection, clock: Clock) -> Buttons:
    return Buttons(db, clock=clock)


def confirm_cancel(buttons: Buttons, **extra: Any) -> tuple[bytes, bytes]:
    issued = buttons.issue(
        user_id=USER,
        chat_id=CHAT,
        choices=[
            ("Confirm", "delete", {"path": "src/ä.py", "n": [1, 2], "ok": True}),
            ("Cancel", "cancel", {}),
        ],
        **extra,
    )
    assert [label for label, _ in issued] == ["Confirm", "Cancel"]
    confirm, cancel = (data for _, data in issued)
    return confirm, cancel


def press(buttons: Buttons, data: bytes, user_id: int = USER, message_id: int = MESSAGE) -> Any:
    return buttons.press(data, user_id=user_id, chat_id=CHAT, message_id=message_id)


def reason(result: Pressed | Refused) -> str:
    assert isinstance(result, Refused), result
    assert result.text
    return result.reason


def test_callback_data_is_a_short_ascii_token(buttons: Buttons) -> None:
    confirm, cancel = confirm_cancel(buttons)
    assert confirm != cancel
    for data in (confirm, cancel):
        assert isinstance(data, bytes) and len(data) <= 64
        data.decode("ascii")


def test_a_button_acts_once_with_its_payload(buttons: Buttons) -> None:
    confirm, _ = confirm_cancel(buttons)
    pressed = press(buttons, confirm)
    assert pressed == Pressed(
        "delete", {"path": "src/ä.py", "n": [1, 2], "ok": True}, confirm.decode()
    )
    again = press(buttons, confirm)
    assert reason(again) == "used"
    assert again.text == "This button was already used."


def test_pressing_one_button_uses_up_its_group(buttons: Buttons) -> None:
    confirm, cancel = confirm_cancel(buttons)
    other_confirm, _ = confirm_cancel(buttons)
    assert isinstance(press(buttons, confirm), Pressed)
    assert reason(press(buttons, cancel)) == "used"
    # another message's buttons are another group
    assert isinstance(press(buttons, other_confirm), Pressed)


def test_someone_else_cannot_press_nor_use_it_up(buttons: Buttons) -> None:
    confirm, _ = confirm_cancel(buttons)
    assert reason(press(buttons, confirm, user_id=OTHER)) == "not_yours"
    assert isinstance(press(buttons, confirm), Pressed)


def test_a_bound_button_acts_only_under_its_message(buttons: Buttons) -> None:
    confirm, cancel = confirm_cancel(buttons)
    buttons.bind([confirm, cancel], MESSAGE)
    assert reason(press(buttons, confirm, message_id=MESSAGE + 1)) == "other_message"
    wrong_chat = buttons.press(confirm, user_id=USER, chat_id=CHAT + 1, message_id=MESSAGE)
    assert reason(wrong_chat) == "other_message"
    assert isinstance(press(buttons, confirm), Pressed)


def test_bind_takes_tokens_as_text_too(buttons: Buttons) -> None:
    confirm, cancel = confirm_cancel(buttons)
    buttons.bind([confirm.decode(), cancel.decode()], MESSAGE)
    assert reason(press(buttons, cancel, message_id=1)) == "other_message"


def test_an_unbound_button_acts_under_any_message_of_its_chat(buttons: Buttons) -> None:
    confirm, _ = confirm_cancel(buttons)
    assert isinstance(press(buttons, confirm, message_id=12345), Pressed)


def test_a_button_expires(buttons: Buttons, clock: Clock) -> None:
    confirm, cancel = confirm_cancel(buttons, ttl=60)
    clock.now += 59
    assert isinstance(press(buttons, confirm), Pressed)
    confirm, cancel = confirm_cancel(buttons, ttl=60)
    clock.now += 60
    result = press(buttons, cancel)
    assert reason(result) == "expired"
    assert result.text == "This button has expired."


def test_unknown_data_is_refused(buttons: Buttons) -> None:
    confirm_cancel(buttons)
    for data in (b"", b"nope", b"\xff\xfe", "x" * 22):
        assert reason(buttons.press(data, user_id=USER, chat_id=CHAT, message_id=1)) == "unknown"


def test_prune_deletes_buttons_expired_over_a_day(buttons: Buttons, clock: Clock) -> None:
    old, _ = confirm_cancel(buttons, ttl=60)
    clock.now += 3600
    recent, _ = confirm_cancel(buttons, ttl=60)
    clock.now += 86_400 - 3600 + 61
    assert buttons.prune() == 2
    assert reason(press(buttons, old)) == "unknown"
    assert reason(press(buttons, recent)) == "expired"
    assert buttons.prune() == 0


def race(presses: list[tuple[sqlite3.Connection, bytes]]) -> list[Pressed | Refused]:
    """Presses at once, one thread per press (each on its own connection)."""
    barrier = threading.Barrier(len(presses))
    results: list[Pressed | Refused] = []

    def press_on(db: sqlite3.Connection, data: bytes) -> None:
        barrier.wait()
        results.append(Buttons(db).press(data, user_id=USER, chat_id=CHAT, message_id=MESSAGE))

    threads = [threading.Thread(target=press_on, args=pair) for pair in presses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_racing_presses_on_two_connections_act_once(tmp_path: Path) -> None:
    path = tmp_path / "tgbridge.db"
    first, second = open_database(path), open_database(path)
    for n in range(100):
        confirm, cancel = confirm_cancel(Buttons(first))
        other = cancel if n % 2 else confirm  # Confirm and Cancel, or Confirm twice
        results = race([(first, confirm), (second, other)])
        assert sorted(type(r).__name__ for r in results) == ["Pressed", "Refused"]
        assert [r.reason for r in results if isinstance(r, Refused)] == ["used"]
