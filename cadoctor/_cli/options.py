"""Each command's options as one table, read by both parsers: the fast path here and the typer app (`app.py`).

Importing typer (and what it pulls in) costs more than a whole healthy check, and build scripts run `cadoctor
check --format json` on every image. So `parse` reads the common invocations from a command's table without
typer; anything else — help, `-V`, unknown options, invalid values — goes to the typer app, which builds every
option from the same table and owns every message and usage error but one: a word outside an option's choices,
which `invalid_choice` names in one line (typer's words for it change with its version, pydantic's `Value error`
included). tests/cli/test_cli.py walks typer's parameters and proves they are the tables'.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Sequence

from cadoctor._model import Finding, Severity
from cadoctor._record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


class FailOn(str, enum.Enum):
    """The lowest severity that makes `check` and `ps` exit 1."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    NEVER = "never"

    def reached(self, findings: Iterable[Finding]) -> bool:
        """Whether a finding is at or above this level (`never`: none is)."""
        if self is FailOn.NEVER:
            return False
        level = Severity(self.value)
        return any(finding.severity.rank >= level.rank for finding in findings)


class Output(str, enum.Enum):
    """Output formats of `explain`, `inspect` and `ps`."""

    HUMAN = "human"
    JSON = "json"


@record
class Option:
    """One option of a command: its spellings, the value it takes, and its line in `--help`.

    Attributes:
        name: The parameter it fills (the typer command's argument of that name).
        flags: Its spellings, the long one first (`--format`, `-f`).
        value: What it takes: `text`, `int`, `float`, `switch` (no value; `off` turns it off) or `repeated`
            (a text given once per value, collected in order).
        choices: The enum whose values it accepts, when it takes one of a few words.
        minimum: The smallest number it accepts (`float`).

    """

    name: str
    flags: tuple[str, ...]
    help: str
    metavar: str | None = None
    value: str = "text"
    choices: type[enum.Enum] | None = None
    default: Any = None
    minimum: float | None = None
    off: str | None = None


@record
class Command:
    """A command's table: its options and, for `inspect` and `explain`, the words it takes (hidden from the help).

    Attributes:
        words: The parameter that collects the words that are not options (None: the command takes none).
        metavar: What each word is called (`PATH`); `required`: at least one must be given.

    """

    name: str
    options: tuple[Option, ...]
    words: str | None = None
    metavar: str | None = None
    required: bool = False

    def option(self, name: str) -> Option:
        """The option that fills `name` (raises KeyError for none)."""
        found = next((option for option in self.options if option.name == name), None)
        if found is None:
            raise KeyError(name)
        return found


FORMAT = Option("fmt", ("--format", "-f"), "human or json.", metavar="human|json", choices=Output, default=Output.HUMAN)
FAIL_ON = Option(
    "fail_on",
    ("--fail-on",),
    "Exit 1 for findings at or above LEVEL: error, warning, info or never.",
    metavar="LEVEL",
    choices=FailOn,
    default=FailOn.ERROR,
)


def parse(command: Command, argv: Sequence[str]) -> dict[str, Any] | None:
    """Read `argv` as `command` with its options, each by name; None for anything left to the typer app.

    Left to typer: another command, an unknown option, a short option with `=`, a missing value or one that
    starts with `-`, a value it would refuse, and words given to a command that takes none (or none given to
    one that needs them). A valued option given twice keeps its last value, as typer does.
    """
    if not argv or argv[0] != command.name:
        return None
    given: dict[str, Any] = {}
    words: list[str] = []
    rest = iter(argv[1:])
    for arg in rest:
        switch = next((o for o in command.options if arg in (o.flags[0], o.off) and o.value == "switch"), None)
        if switch is not None:
            given[switch.name] = arg == switch.flags[0]
            continue
        name, eq, inline = arg.partition("=")
        option = next((o for o in command.options if name in o.flags and o.value != "switch"), None)
        if option is None or (eq and not name.startswith("--")):
            if command.words is None or arg.startswith("-"):
                return None
            words.append(arg)
            continue
        value = inline if eq else next(rest, None)
        if not value or value.startswith("-"):
            return None
        if option.value == "repeated":
            given.setdefault(option.name, []).append(value)
        else:
            given[option.name] = value
    if command.required and not words:
        return None
    values = {}
    for option in command.options:
        if option.name not in given:
            values[option.name] = option.default
            continue
        value = _converted(option, given[option.name])
        if value is None:
            return None
        values[option.name] = value
    if command.words is not None:
        values[command.words] = words
    return values


def _converted(option: Option, given: Any) -> Any:
    """The value as the command takes it, or None when typer would refuse it (and say why)."""
    if option.value == "repeated":
        return tuple(given)
    try:
        if option.choices is not None:
            return option.choices(given)
        if option.value in ("switch", "text"):
            return given
        if option.value == "int":
            return int(given)
        number = float(given)
    except ValueError:
        return None
    low = float("-inf") if option.minimum is None else option.minimum
    return number if low <= number < float("inf") else None  # NaN and infinity too: typer's to judge


_ANSWERED_FIRST = ("-h", "--help", "-V", "--version")  # eager: typer answers them whatever else is wrong


def _given(command: Command, argv: Sequence[str]) -> Iterator[tuple[Option, str | None]]:
    """Each valued option of `command` in `argv` with its value, read as typer reads them (None: no value).

    `--format yaml`, `--format=yaml`, `-f yaml`, `-fyaml`; an option's value is never read as an option of its
    own (`--output --format`: a file named `--format`); `--` ends the options. Nothing when help or the version
    is asked for: typer answers those first, whatever else is wrong.
    """
    if not argv or argv[0] != command.name:
        return
    rest = list(argv[1:])
    rest = rest[: rest.index("--")] if "--" in rest else rest
    if any(arg in _ANSWERED_FIRST for arg in rest):
        return
    args = iter(rest)
    for arg in args:
        name, eq, inline = arg.partition("=")
        if len(arg) > 2 and arg[0] == "-" and arg[1] != "-":
            name, eq, inline = arg[:2], "=", arg[2:]  # a short option with its value attached, `=` included
        option = next((o for o in command.options if name in o.flags and o.value != "switch"), None)
        if option is not None:
            yield option, inline if eq else next(args, None)


def invalid_choice(command: Command, argv: Sequence[str]) -> str | None:
    """The usage error for a value outside an option's choices, in one line naming them; None when there is none.

    The command line is read as typer reads it (`_given`); with help or the version asked for, typer answers and
    nothing is said here.
    """
    for option, value in _given(command, argv):
        if option.choices is None or value is None:
            continue
        allowed = [str(member.value) for member in option.choices]
        if value not in allowed:
            return "invalid value for %s: %r (choose from %s)" % (option.flags[0], value, ", ".join(allowed))
    return None


def chosen(command: Command, argv: Sequence[str], name: str) -> str | None:
    """The last value `argv` gives the option `name` (as typer keeps it), read before any other error is reported.

    `check --format nagios` must answer a usage error as a plugin does (UNKNOWN, exit 3) whichever error it is,
    so the format is known before typer, or anything else, judges the rest of the line.
    """
    found = None
    for option, value in _given(command, argv):
        if option.name == name and value is not None:
            found = value
    return found
