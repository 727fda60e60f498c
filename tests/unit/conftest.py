"""Shared unit-test fixtures: a fresh store and a clock the test moves by hand."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tgbridge.store.database import open_database


class Clock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def db(tmp_path: Path) -> sqlite3.Connection:
    return open_database(tmp_path / "tgbridge.db")


@pytest.fixture
def clock() -> Clock:
    return Clock()
