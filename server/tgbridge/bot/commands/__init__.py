"""Every phone command and button action, one feature per module."""

from __future__ import annotations

from tgbridge.bot.registry import Registry


def build_registry() -> Registry:
    from tgbridge.bot.commands import (
        admin,
        agents,
        basics,
        files,
        git,
        history,
        models,
        run,
        workspace,
    )

    registry = Registry()
    for module in (basics, workspace, git, files, run, history, models, agents, admin):
        module.register(registry)
    return registry
