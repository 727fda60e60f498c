"""Settings: editor values over TGBRIDGE_* environment variables over defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


def test_paths_expand_the_home_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    center = {"id": 2, "host": "127.0.0.1", "port": 4430, "publicKeyFile": "~/keys/dc.pem"}
    settings = load_settings({"stateDir": "~/tgbridge", "dataCenter": center})
    assert settings.state_dir == tmp_path / "tgbridge"
    assert settings.data_center is not None
    assert settings.data_center.public_key_file == tmp_path / "keys" / "dc.pem"


def test_absolute_paths_are_kept(tmp_path: Path) -> None:
    assert load_settings({"stateDir": str(tmp_path)}).state_dir == tmp_path


@pytest.mark.parametrize(
    ("editor_settings", "name"),
    [
        ({"stateDir": "state"}, "tgbridge.stateDir"),
        ({"stateDir": "./.tgbridge"}, "tgbridge.stateDir"),
        (
            {"dataCenter": {"id": 2, "host": "h", "port": 443, "publicKeyFile": "keys/dc.pem"}},
            "tgbridge.dataCenter.publicKeyFile",
        ),
    ],
)
def test_relative_paths_are_refused_naming_the_setting(
    editor_settings: dict[str, Any], name: str
) -> None:
    with pytest.raises(BridgeError) as raised:
        load_settings(editor_settings)
    assert raised.value.code == "invalid_settings"
    assert raised.value.field == name
    assert raised.value.message.startswith(f"Setting {name} is invalid")
    assert "absolute path" in raised.value.message


def test_relative_state_dir_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TGBRIDGE_STATE_DIR", "state")
    with pytest.raises(BridgeError, match=r"tgbridge\.stateDir"):
        load_settings({})


def test_an_empty_environment_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TGBRIDGE_STATE_DIR", "")
    assert load_settings({}).state_dir is None
