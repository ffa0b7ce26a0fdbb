"""The command line: formats, exit codes, the JSON schema, and shell output that cannot inject commands."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any, get_args, get_origin

import jsonschema
import pytest
import typer
from conftest import ForeignOpenSSL, check_json, clean_env, copy_bundle, run_cadoctor

from cadoctor._cli.app import app
from cadoctor._cli.check import CHECK
from cadoctor._cli.explain import EXPLAIN
from cadoctor._cli.inspect import INSPECT
from cadoctor._cli.options import Command, parse
from cadoctor._cli.ps import PS
from cadoctor._fixes.shell import env_lines, shell_lines
from cadoctor._render.report import Format

SCHEMA = json.loads(resources.files("cadoctor").joinpath("schema/report-v1.json").read_text())


def test_healthy_json_validates_against_the_schema() -> None:
    """Real output of a healthy check validates against the shipped schema."""
    _status, report = check_json(clean_env())
    jsonschema.validate(report, SCHEMA)
    assert report["schema_version"] == 1


def test_broken_json_validates_and_uses_known_codes(foreign_openssl: ForeignOpenSSL) -> None:
    """Real output of a broken check validates, and every code it uses is a documented one."""
    _status, report = check_json(clean_env(LD_LIBRARY_PATH=str(foreign_openssl.directory)))
    jsonschema.validate(report, SCHEMA)
    assert {f["code"] for f in report["findings"]} <= set(SCHEMA["knownCodes"])


def test_every_known_code_is_documented() -> None:
    """Each finding code in the schema has its own anchor in docs/findings.md."""
    text = (Path(__file__).parent.parent / "docs" / "findings.md").read_text()
    for code in SCHEMA["knownCodes"]:
        assert "{#%s}" % code in text, code


def test_schema_in_docs_matches_the_package() -> None:
    """The schema published in the docs is the one the package ships."""
    published = Path(__file__).parent.parent / "docs" / "schema" / "report-v1.json"
    assert json.loads(published.read_text()) == SCHEMA


def test_fail_on_warning_and_never(tmp_path: Path) -> None:
    """--fail-on moves the exit threshold: a warning fails at 'warning' and nothing fails at 'never'."""
    env = clean_env(NODE_EXTRA_CA_CERTS=str(tmp_path / "absent.pem"))  # no Python client reads it: a warning
    assert check_json(env, "--no-verify")[0] == 0
    assert check_json(env, "--no-verify", "--fail-on", "warning")[0] == 1
    assert check_json(clean_env(SSL_CERT_FILE="/dev/zero"), "--no-verify", "--fail-on", "never")[0] == 0


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    """An unknown option, a bad --format, and an unwritable --output exit 2 with one line on stderr."""
    assert run_cadoctor(["check", "--bogus"], clean_env()).returncode == 2
    assert run_cadoctor(["check", "--format", "yaml"], clean_env()).returncode == 2
    result = run_cadoctor(["check", "--output", str(tmp_path / "no" / "such" / "dir.json")], clean_env())
    assert result.returncode == 2
    assert result.stderr.startswith("cadoctor: cannot write")
    assert "Traceback" not in result.stderr


def test_output_file_receives_the_report(tmp_path: Path) -> None:
    """--output writes the report to a file and nothing to stdout."""
    target = tmp_path / "report.json"
    result = run_cadoctor(["check", "--format", "json", "--output", str(target)], clean_env())
    assert result.returncode == 0
    assert result.stdout == ""
    assert json.loads(target.read_text())["status"] == "ok"


def test_human_output_is_plain_without_a_terminal(foreign_openssl: ForeignOpenSSL) -> None:
    """Human output starts with the verdict and carries no colour codes when not on a TTY or with NO_COLOR."""
    for extra in ({}, {"NO_COLOR": "1"}):
        result = run_cadoctor(["check"], clean_env(LD_LIBRARY_PATH=str(foreign_openssl.directory), **extra))
        assert result.returncode == 1
        assert result.stdout.startswith("cadoctor: ERROR")
        assert "\x1b[" not in result.stdout
        assert "trust-store-empty" in result.stdout
        assert "export SSL_CERT_FILE=" in result.stdout


def test_env_format_is_empty_when_healthy() -> None:
    """--format env prints nothing on a healthy interpreter."""
    result = run_cadoctor(["check", "--format", "env"], clean_env())
    assert (result.returncode, result.stdout) == (0, "")


def test_version_and_module_entry_point() -> None:
    """`python -m cadoctor --version` names the version."""
    import cadoctor

    result = run_cadoctor(["--version"], clean_env())
    assert result.stdout.strip() == "cadoctor %s" % cadoctor.__version__


HOSTILE = [
    "/tmp/a b/c.pem",
    "/tmp/it's.pem",
    "/tmp/$(touch PWNED).pem",
    "/tmp/`touch PWNED`.pem",
    '/tmp/"; touch PWNED; ".pem',
    "/tmp/line\nbreak; touch PWNED.pem",
    "/tmp/back\\slash.pem",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_shell_lines_cannot_inject(value: str, tmp_path: Path) -> None:
    """Evaluating the export line in sh sets exactly the value and runs nothing."""
    script = shell_lines({"SSL_CERT_FILE": value}) + '\nprintf %s "$SSL_CERT_FILE"'
    out = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, timeout=30, check=True)
    assert out.stdout.decode() == value
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_dockerfile_and_systemd_lines_escape_or_refuse(value: str) -> None:
    """Dockerfile and systemd forms escape quotes and expansions, and are omitted for values with newlines."""
    lines = env_lines({"SSL_CERT_FILE": value})
    if "\n" in value:
        assert set(lines) == {"shell"}
        return
    assert '\\"' in lines["dockerfile"] or '"' not in value
    assert "$(" not in lines["dockerfile"].replace("\\$(", "")
    assert lines["systemd"].startswith('Environment="SSL_CERT_FILE=')


def test_every_format_has_a_renderer(tmp_path: Path) -> None:
    """Every Format value renders a real report without error."""
    import io

    import cadoctor
    from cadoctor._render.report import render

    report = cadoctor.check(verify=False)
    for fmt in Format:
        stream = io.StringIO()
        render(report, fmt, stream)
        assert fmt is Format.ENV or stream.getvalue()


def test_private_override_replaces_defaults(tmp_path: Path) -> None:
    """SSL_CERT_FILE holding only a private CA warns that public sites will fail."""
    from conftest import make_ca

    ca = make_ca(tmp_path / "ca")
    status, report = check_json(clean_env(SSL_CERT_FILE=str(ca.bundle)), "--no-verify")
    assert status == 0
    finding = next(f for f in report["findings"] if f["code"] == "override-replaces-defaults")
    assert finding["severity"] == "warning"
    assert finding["evidence"]["certificates"] == 1


def test_broken_openssl_conf_is_reported_and_fixed(tmp_path: Path) -> None:
    """OPENSSL_CONF that makes context creation fail is an error, and unsetting it is a verified fix."""
    conf = tmp_path / "openssl.cnf"
    conf.write_text("openssl_conf = x\n[x]\nproviders = p\n[p]\nbogus = b\n[b]\nactivate = 1\n")
    status, report = check_json(clean_env(OPENSSL_CONF=str(conf)))
    assert status == 1
    assert "openssl-config-broken" in {f["code"] for f in report["findings"] if f["severity"] == "error"}
    fix = next(f for f in report["fixes"] if f["env"] == {"OPENSSL_CONF": None})
    assert fix["verified"] is True


def test_unset_is_offered_when_the_compiled_defaults_serve(tmp_path: Path) -> None:
    """A dangling SSL_CERT_FILE on a host whose defaults work gets 'unset' as the first, verified fix."""
    copy_bundle(tmp_path)
    _status, report = check_json(clean_env(SSL_CERT_FILE=str(tmp_path / "gone.pem")))
    first = report["fixes"][0]
    assert first["env"] == {"SSL_CERT_FILE": None}
    assert first["verified"] is True
    assert first["lines"]["shell"] == "unset SSL_CERT_FILE"


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


ANNOTATIONS: dict[str, tuple[Any, ...]] = {
    "text": (str, Path),  # typer reads --output as a Path, which the check takes as its str()
    "int": (int,),
    "float": (float,),
    "switch": (bool,),
}


@pytest.mark.parametrize("table", [CHECK, EXPLAIN, INSPECT, PS], ids=lambda table: table.name)
def test_typer_builds_every_option_from_the_table(table: Command) -> None:
    """Each typer parameter of a command is its table's: spellings, default, metavar, help, type, limit; no other."""
    params = {p.name: p for p in _typer_command(table.name).params if p.name != "version"}
    assert set(params) == {option.name for option in table.options} | ({table.words} if table.words else set())
    for option in table.options:
        param = params[option.name]
        assert (param.opts, param.secondary_opts) == (list(option.flags), [option.off] if option.off else [])
        assert (param.metavar, param.help, param.min) == (option.metavar, option.help, option.minimum)
        assert param.default == (None if option.value == "repeated" else option.default)
        assert (param.multiple, param.is_flag) == (option.value == "repeated", option.value == "switch")
        annotation = param.type_descriptor.annotation
        if option.choices is not None:
            assert annotation is option.choices
        elif option.value == "repeated":
            assert (get_origin(annotation), get_args(annotation)) == (list, (str,))
        else:
            assert annotation in ANNOTATIONS[option.value]
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
    out = subprocess.run([sys.executable, "-c", script], env=clean_env(), capture_output=True, text=True, timeout=60)
    assert out.stdout.split(None, 1) == ["0", "[]\n"], out.stderr
