"""One entry of the `tgbridge.tasks` setting: a task the owner declares (a name, the argv to
exec, a cwd inside the workspace folder, a timeout, the environment variables passed
through). The phone picks a task by its name; it never sends a command line."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import PureWindowsPath
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

NAME_MAX = 32
MAX_TIMEOUT_SECONDS = 24 * 3600
_NAME = re.compile(rf"[a-z0-9_-]{{1,{NAME_MAX}}}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SEPARATORS = re.compile(r"[\\/]+")


def _task_name(value: str) -> str:
    if not _NAME.fullmatch(value):
        raise PydanticCustomError(
            "task_name",
            "a task name is 1 to {max} characters among a-z, 0-9, _ and -",
            {"max": NAME_MAX},
        )
    return value


def _argument(value: str) -> str:
    if not value:
        raise PydanticCustomError("empty_argument", "an argument cannot be empty")
    if "\x00" in value:
        raise PydanticCustomError("nul_argument", "an argument cannot contain a NUL character")
    return value


def _relative_cwd(value: str) -> str:
    """A folder relative to the workspace folder that cannot climb out of it by its
    spelling (symlinks are checked when the task runs)."""
    if value == "":
        return "."
    if "\x00" in value:
        raise PydanticCustomError("nul_cwd", "cwd cannot contain a NUL character")
    windows = PureWindowsPath(value)
    if value.startswith(("/", "\\")) or windows.drive or windows.is_absolute():
        raise PydanticCustomError(
            "absolute_cwd", "cwd is relative to the workspace folder, not an absolute path"
        )
    if value.startswith("~"):
        raise PydanticCustomError(
            "home_cwd", "cwd is relative to the workspace folder; ~ is not expanded"
        )
    if ".." in _SEPARATORS.split(value):
        raise PydanticCustomError("parent_cwd", "cwd must stay inside the workspace folder (no ..)")
    return value


def _env_name(value: str) -> str:
    if not _ENV_NAME.fullmatch(value):
        raise PydanticCustomError(
            "env_name", "'{name}' is not an environment variable name", {"name": value}
        )
    return value


TaskName = Annotated[str, AfterValidator(_task_name)]
Argument = Annotated[str, AfterValidator(_argument)]
EnvName = Annotated[str, AfterValidator(_env_name)]


class TaskSpec(BaseModel):
    """A task as declared; the editor sends its keys in camelCase (`timeoutSeconds`)."""

    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True
    )

    # It becomes `/run <name>` and a button.
    name: TaskName
    # Exec'd as is: argv[0] is looked up in PATH, and no shell ever sees it.
    argv: list[Argument] = Field(min_length=1)
    # Relative to the workspace folder, and inside it.
    cwd: Annotated[str, AfterValidator(_relative_cwd)] = "."
    timeout_seconds: float = Field(default=600, gt=0, le=MAX_TIMEOUT_SECONDS, strict=True)
    # Passed through from the hub's environment (an allowlist); the task also gets PATH,
    # HOME, LANG, LC_ALL and TERM=dumb.
    env: list[EnvName] = []
    # A test task: its failure triggers the "test failed" notification.
    test: bool = False
    description: str = ""


def _unique_names(tasks: list[TaskSpec]) -> list[TaskSpec]:
    seen: dict[str, int] = {}
    for index, task in enumerate(tasks):
        if task.name in seen:
            raise ValueError(
                f"two tasks are named {task.name!r} (entries {seen[task.name] + 1} and "
                f"{index + 1}); task names must be unique"
            )
        seen[task.name] = index
    return tasks


# The whole setting; usable as a field of the settings model too.
TaskList = Annotated[list[TaskSpec], AfterValidator(_unique_names)]
_TASK_LIST: TypeAdapter[list[TaskSpec]] = TypeAdapter(
    TaskList, config=ConfigDict(title="tgbridge.tasks")
)


def parse_tasks(value: Sequence[Any]) -> list[TaskSpec]:
    """Validates the `tgbridge.tasks` setting (a list of objects with camelCase keys).
    Raises pydantic's ValidationError (a ValueError) on a bad entry, with its index and
    field in the error's location, and on two tasks with the same name, naming it."""
    return _TASK_LIST.validate_python(value)


def find(tasks: Iterable[TaskSpec], name: str) -> TaskSpec | None:
    """The task with exactly this name, or None."""
    return next((task for task in tasks if task.name == name), None)
