"""Settings: editor values over TGBRIDGE_* environment variables over defaults."""

from __future__ import annotations

import pytest

from tgbridge.errors import BridgeError
from tgbridge.settings import load_settings


def test_defaults_apply_when_nothing_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TGBRIDGE_LOG_LEVEL", raising=False)
    assert load_settings({}).log_level == "info"


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TGBRIDGE_LOG_LEVEL", "debug")
    assert load_settings({}).log_level == "debug"


def test_editor_setting_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TGBRIDGE_LOG_LEVEL", "debug")
    assert load_settings({"logLevel": "error"}).log_level == "error"


def test_bad_value_names_the_setting_as_the_editor_shows_it() -> None:
    with pytest.raises(BridgeError) as raised:
        load_settings({"logLevel": "loud"})
    assert raised.value.code == "invalid_settings"
    assert raised.value.field == "tgbridge.logLevel"
    assert "tgbridge.logLevel" in raised.value.message


def test_bad_value_is_not_echoed_because_settings_may_be_secret() -> None:
    with pytest.raises(BridgeError) as raised:
        load_settings({"stateDir": {"token": "123456:SECRET"}})
    assert "SECRET" not in raised.value.message
    assert raised.value.field == "tgbridge.stateDir"
