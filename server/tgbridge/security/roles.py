"""Roles on the allowlist: owner ⊇ collaborator ⊇ viewer."""

from __future__ import annotations

from typing import Literal

Role = Literal["owner", "collaborator", "viewer"]

ROLES: tuple[Role, ...] = ("owner", "collaborator", "viewer")

_RANK: dict[Role, int] = {"owner": 3, "collaborator": 2, "viewer": 1}


def allows(role: Role | None, needed: Role) -> bool:
    """Whether someone with `role` may do what needs `needed` (no role: nothing)."""
    return role is not None and _RANK[role] >= _RANK[needed]


def parse_role(text: str) -> Role | None:
    """A role typed by a person ("Viewer ", "OWNER"), or None when it is not one."""
    wanted = text.strip().lower()
    for role in ROLES:
        if role == wanted:
            return role
    return None
