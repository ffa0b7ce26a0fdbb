"""The command line: exit codes, --output, and one parser for the common invocations that typer agrees with."""

from __future__ import annotations

import enum
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import typer
from helpers.environment import child_env
from helpers.runs import check_json, run_cadoctor

from cadoctor._cli.app import app
from cadoctor._cli.check import CHECK
from cadoctor._cli.explain import EXPLAIN
from cadoctor._cli.inspect import INSPECT
from cadoctor._cli.options import Command, Option, invalid_choice, parse
from cadoctor._cli.ps import PS

SCHEMA = json.loads(resources.files("cadoctor").joinpath("schema/report-v1.json").read_text())


def test_fail_on_warning_and_never(tmp_path: Path) -> None:
    """--fail-on moves the exit threshold: a warning fails at 'warning' and nothing fails at 'never'."""
    env = child_env(NODE_EXTRA_CA_CERTS=str(tmp_path / "absent.pem"))  # no Python client reads it: a warning
    assert check_json(env, "--no-verify")[0] == 0
    assert check_json(env, "--no-verify", "--fail-on", "warning")[0] == 1
    assert check_json(child_env(SSL_CERT_FILE="/dev/zero"), "--no-verify", "--fail-on", "never")[0] == 0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    """An unknown option, a bad --format, and an unwritable --output exit 2 with one line on stderr."""
    assert run_cadoctor(["check", "--bogus"], child_env()).returncode == 2
    assert run_cadoctor(["check", "--format", "yaml"], child_env()).returncode == 2
    result = run_cadoctor(["check", "--output", str(tmp_path / "no" / "such" / "dir.json")], child_env())
    assert result.returncode == 2
    assert result.stderr.startswith("cadoctor: cannot write")
    assert "Traceback" not in result.stderr


CHOICE_OPTIONS = [
    (table, option) for table in (CHECK, EXPLAIN, INSPECT, PS) for option in table.options if option.choices is not None
]


@pytest.mark.parametrize(
    ("table", "option"), CHOICE_OPTIONS, ids=["%s-%s" % (t.name, o.flags[0]) for t, o in CHOICE_OPTIONS]
)
def test_a_value_outside_the_choices_is_one_line_naming_them(table: Command, option: Option) -> None:
    """`--format yaml` (every choice option of every command): exit 2, one line on stderr naming the allowed values."""
    words = ["/etc/ssl/certs"] if table.required else []
    result = run_cadoctor([table.name, option.flags[0], "yaml", *words], child_env())
    allowed = ", ".join(str(member.value) for member in option.choices or ())
    assert result.returncode == 2
    assert result.stderr == "cadoctor: invalid value for %s: 'yaml' (choose from %s)\n" % (option.flags[0], allowed)
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["check", "--format=yaml"], "'yaml'"),
        (["check", "-f", "yaml"], "'yaml'"),
        (["check", "-fyaml"], "'yaml'"),
        (["check", "-f=json"], "'=json'"),  # a short option takes what follows it, `=` included, as typer does
        (["ps", "--format="], "''"),
        (["explain", "some", "text", "--fail-on", "x", "-f", "xml"], "'xml'"),  # explain has no --fail-on
        (["check", "--fail-on", "never", "--fail-on", "sometimes"], "'sometimes'"),
    ],
)
def test_the_invalid_choice_is_found_however_it_is_written(argv: list[str], said: str) -> None:
    """Every spelling typer reads names the value it refuses."""
    table = {"check": CHECK, "explain": EXPLAIN, "ps": PS}[argv[0]]
    found = invalid_choice(table, argv)
    assert found is not None
    assert found.startswith("invalid value for --")
    assert (": %s (choose from " % said) in found


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--format", "json"],
        ["check", "--format", "yaml", "--help"],  # help is answered first
        ["check", "-V", "--fail-on", "x"],
        ["explain", "--", "--format", "yaml"],  # words after `--`
        ["explain", "the --format yaml words"],
        ["check", "--output", "--format", "yaml"],  # --format is the output file's name here
        ["check", "--format"],  # a missing value: typer says so
    ],
)
def test_only_a_value_typer_would_refuse_as_a_choice_is_answered_here(argv: list[str]) -> None:
    """Help, the version, words, and an option's missing value stay typer's to answer."""
    assert invalid_choice({"check": CHECK, "explain": EXPLAIN}[argv[0]], argv) is None


def test_output_file_receives_the_report(tmp_path: Path, pip_conf: str) -> None:
    """--output writes the report to a file and nothing to stdout."""
    target = tmp_path / "report.json"
    result = run_cadoctor(["check", "--format", "json", "--output", str(target)], child_env(PIP_CONFIG_FILE=pip_conf))
    assert result.returncode == 0
    assert result.stdout == ""
    assert json.loads(target.read_text())["status"] == "ok"


COMMON = [
    ["check"],
    ["check", "--format", "json"],
    ["check", "-f", "env", "--no-verify"],
    ["check", "--format=json", "--fail-on", "warning", "-o", "report.json"],
    ["check", "--output=out file.json", "--verify", "--fail-on=never", "--format", "human"],
    ["check", "--host", "example.test", "--host=[::1]:8443", "--timeout", "2.5", "--client-cert", "c.pem"],
    ["check", "--timeout=0.001", "--client-key", "k.pem", "--host", "a:1"],
    ["check", "--python", "/usr/bin/python3", "--format", "json"],
    ["check", "--python=venv/bin/python", "--no-verify"],
    ["check", "--pid", "1", "--format", "yaml", "--format=json"],
    ["check", "--root=image", "-o", "r.json"],
    ["inspect", "/etc/ssl/certs"],
    ["inspect", "--format=json", "--root", "image", "a", "b c"],
    ["inspect", "lib.so", "-f", "json", "--format", "human"],
    ["ps"],
    ["ps", "-f", "json", "--fail-on=never"],
    ["ps", "--fail-on", "warning", "--format", "human"],
]
LEFT_TO_TYPER = [
    [],
    ["--version"],
    ["check", "--help"],
    ["check", "-V"],
    ["check", "--format", "yaml"],
    ["check", "--format"],
    ["check", "-o", "--no-verify"],
    ["check", "-f=json"],
    ["check", "--bogus"],
    ["check", "extra"],
    ["check", "--", "--format"],
    ["check", "--timeout", "0"],
    ["check", "--timeout", "soon"],
    ["check", "--timeout", "nan"],
    ["check", "--pid", "one"],
    ["check", "--verify=yes"],
    ["check", "--host"],
    ["check", "--python"],
    ["inspect"],
    ["inspect", "--format", "xml", "a"],
    ["inspect", "-f=json", "a"],
    ["inspect", "--root", "a"],
    ["inspect", "--", "a"],
    ["inspect", "-", "a"],
    ["ps", "extra"],
    ["ps", "--fail-on", "sometimes"],
    ["ps", "-f=json"],
    ["ps", "--format="],
]
TABLES = {"check": CHECK, "inspect": INSPECT, "ps": PS}


def _comparable(values: dict[str, Any]) -> dict[str, Any]:
    """Parsed values as the command uses them: a path as written, a list as a tuple, no --host as none given."""
    plain = {name: str(value) if isinstance(value, Path) else value for name, value in values.items()}
    return {
        name: tuple(value or ()) if isinstance(value, (list, tuple)) or name == "hosts" else value
        for name, value in plain.items()
    }


def _typer_command(name: str) -> Any:
    """The typer app's command of that name, as the click-like object typer builds."""
    group = typer.main.get_command(app)
    return group.get_command(group.make_context("cadoctor", [name]), name)  # type: ignore[attr-defined]


@pytest.mark.parametrize("argv", COMMON)
def test_fast_parser_agrees_with_typer(argv: list[str]) -> None:
    """The common check, inspect and ps invocations parse without typer, to exactly what typer would have parsed."""
    fast = parse(TABLES[argv[0]], argv)
    assert fast is not None
    params = dict(_typer_command(argv[0]).make_context(argv[0], argv[1:]).params)
    params.pop("version")
    assert _comparable(fast) == _comparable(params)


@pytest.mark.parametrize("argv", LEFT_TO_TYPER)
def test_fast_parser_leaves_everything_else_to_typer(argv: list[str]) -> None:
    """Help, the version, unknown options and words, invalid or missing values are not the fast parser's to answer."""
    assert parse(TABLES.get(argv[0] if argv else "check", CHECK), argv) is None


KINDS_BY_ANNOTATION: dict[Any, str] = {str: "text", Path: "text", int: "int", float: "float", bool: "switch"}
KINDS_BY_CLICK_TYPE = {
    "Choice": "choice",
    "Path": "text",
    "IntParamType": "int",
    "FloatParamType": "float",
    "BoolParamType": "switch",
    "StringParamType": "text",
}


def _described(param: Any) -> tuple[Any, str, list[Any] | None]:
    """A typer option's lower limit, kind of value and accepted words, however this typer records them.

    typer 0.29 keeps the annotation (`type_descriptor`) and `min` on the option; the older typer that the oldest
    Python gets builds a click type (`IntRange`, `Choice`, ...) and has neither.
    """
    if hasattr(param, "type_descriptor"):
        annotation = param.type_descriptor.annotation
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            return param.min, "choice", [member.value for member in annotation]
        if get_origin(annotation) is list and get_args(annotation) == (str,):
            return param.min, "text", None
        return param.min, KINDS_BY_ANNOTATION[annotation], None
    names = [cls.__name__ for cls in type(param.type).__mro__]
    kind = next(KINDS_BY_CLICK_TYPE[name] for name in names if name in KINDS_BY_CLICK_TYPE)
    words = [getattr(word, "value", word) for word in param.type.choices] if kind == "choice" else None
    return getattr(param.type, "min", None), kind, words


@pytest.mark.parametrize("table", [CHECK, EXPLAIN, INSPECT, PS], ids=lambda table: table.name)
def test_typer_builds_every_option_from_the_table(table: Command) -> None:
    """Each typer parameter of a command is its table's: spellings, default, metavar, help, type, limit; no other."""
    params = {p.name: p for p in _typer_command(table.name).params if p.name != "version"}
    assert set(params) == {option.name for option in table.options} | ({table.words} if table.words else set())
    for option in table.options:
        param = params[option.name]
        assert (param.opts, param.secondary_opts) == (list(option.flags), [option.off] if option.off else [])
        assert (param.metavar, param.help) == (option.metavar, option.help)
        assert param.default == (None if option.value == "repeated" else option.default)
        assert (param.multiple, param.is_flag) == (option.value == "repeated", option.value == "switch")
        kind = "choice" if option.choices else "text" if option.value == "repeated" else option.value
        words = [member.value for member in option.choices] if option.choices else None
        assert _described(param) == (option.minimum, kind, words)
    if table.words is not None:
        words = params[table.words]
        assert (words.metavar, words.required, words.nargs, words.hidden) == (table.metavar, table.required, -1, True)


def test_json_check_does_not_import_the_cli_framework() -> None:
    """`check --format json` runs without importing typer, click or rich: they cost more than the check."""
    script = (
        "import io, sys, contextlib\n"
        "from cadoctor._cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['check', '--format', 'json', '--no-verify'])\n"
        "print(code, sorted(m for m in ('typer', 'click', 'rich', 'pydantic') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=child_env(), capture_output=True, text=True, timeout=60)
    assert out.stdout.split(None, 1) == ["0", "[]\n"], out.stderr
