"""What the phone can ask: every command and button action declares the role it needs;
`/help` and Telegram's command menu are made from this registry, per role."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tgbridge.security.roles import ROLES, Role, allows

if TYPE_CHECKING:
    from tgbridge.bot.request import PressRequest, Request

CommandHandler = Callable[["Request"], Awaitable[None]]
# Returns the short answer the phone shows for the press.
ActionHandler = Callable[["PressRequest"], Awaitable[str]]


@dataclass(frozen=True)
class Command:
    name: str  # without the slash
    role: Role
    summary: str
    handler: CommandHandler
    usage: str = ""  # e.g. "[path]"
    in_menu: bool = True


@dataclass(frozen=True)
class Action:
    name: str
    role: Role
    handler: ActionHandler


@dataclass
class Registry:
    commands: dict[str, Command] = field(default_factory=dict)
    actions: dict[str, Action] = field(default_factory=dict)

    def command(
        self, name: str, role: Role, summary: str, usage: str = "", *, in_menu: bool = True
    ) -> Callable[[CommandHandler], CommandHandler]:
        def add(handler: CommandHandler) -> CommandHandler:
            assert name not in self.commands, f"/{name} registered twice"
            self.commands[name] = Command(name, role, summary, handler, usage, in_menu)
            return handler

        return add

    def action(self, name: str, role: Role) -> Callable[[ActionHandler], ActionHandler]:
        def add(handler: ActionHandler) -> ActionHandler:
            assert name not in self.actions, f"action {name} registered twice"
            self.actions[name] = Action(name, role, handler)
            return handler

        return add

    def visible(self, role: Role) -> list[Command]:
        return [c for c in self.commands.values() if allows(role, c.role)]

    def menu(self, role: Role) -> list[tuple[str, str]]:
        """Telegram's command menu for a role: (command, summary), as the registry orders."""
        return [(c.name, c.summary[:256]) for c in self.visible(role) if c.in_menu]

    def help(self, role: Role) -> str:
        lines = [f"**Commands for you** ({role}):"]
        for command in self.visible(role):
            usage = f" {command.usage}" if command.usage else ""
            lines.append(f"/{command.name}{usage} — {command.summary}")
        return "\n".join(lines)

    def roles(self) -> tuple[Role, ...]:
        return ROLES
