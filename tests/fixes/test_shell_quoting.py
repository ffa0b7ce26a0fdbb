"""The ready-to-paste lines of env fixes: what a shell, a Dockerfile or a unit receives is exactly the value."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers.environment import child_env
from hypothesis import given, settings
from hypothesis import strategies as st

from cadoctor._fixes.shell import dockerfile_lines, env_lines, sh_quote, shell_lines, systemd_lines

# Pieces a shell, a Dockerfile or systemd would read as syntax, mixed with arbitrary text; NUL excluded (no
# argument or environment value can hold one) and lone surrogates too (they have no bytes to write).
_SYNTAX = st.sampled_from(
    [
        "'",
        '"',
        "\\",
        "$(id)",
        "`id`",
        "${HOME}",
        "$",
        ";",
        "&&",
        "|",
        "*",
        "~",
        "!",
        "#",
        " ",
        "\t",
        "\n",
        "\r",
        "\x1b[2J",
        "%",
        "%n",
        "\u202e",
        "\\'",
        "'\"'\"'",
        "=",
        "\x7f",
    ]
)
_CHARACTERS = st.one_of(st.characters(min_codepoint=1, max_codepoint=0xD7FF), st.characters(min_codepoint=0xE000))
_TEXT = st.text(_CHARACTERS, max_size=8)
VALUES = st.lists(st.one_of(_SYNTAX, _TEXT), max_size=12).map("".join)
SETTINGS = settings(database=None, deadline=None, max_examples=150)  # no .hypothesis folder in the tree


def sh(script: str) -> bytes:
    """What /bin/sh writes when it runs the script, in the clean child environment."""
    done = subprocess.run([b"/bin/sh", b"-c", script.encode("utf-8")], env=child_env(), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


@SETTINGS
@given(VALUES)
def test_a_quoted_value_reaches_the_shell_exactly(value: str) -> None:
    """For any text (quotes, `$()`, backticks, newlines, escapes), sh receives the quoted word as the value itself."""
    assert sh("printf '%s' " + sh_quote(value)) == value.encode("utf-8")


@SETTINGS
@given(VALUES)
def test_an_export_line_sets_exactly_the_value(value: str) -> None:
    """`export VAR=...` as shell_lines writes it, run by sh, leaves exactly the value in the variable."""
    script = shell_lines({"SSL_CERT_FILE": value}) + "\nprintf '%s' \"$SSL_CERT_FILE\""
    assert sh(script) == value.encode("utf-8")


def test_an_unset_line_removes_the_variable() -> None:
    """A None value becomes `unset`, after which the variable is gone."""
    lines = shell_lines({"SSL_CERT_FILE": "/a b", "SSL_CERT_DIR": None})
    assert lines == "export SSL_CERT_FILE='/a b'\nunset SSL_CERT_DIR"
    assert (
        sh("SSL_CERT_DIR=/x; " + lines + '\nprintf "%s|%s" "$SSL_CERT_FILE" "${SSL_CERT_DIR-unset}"') == b"/a b|unset"
    )


@pytest.mark.parametrize(
    ("value", "quoted"),
    [("", "''"), ("/etc/ssl/ca.pem", "'/etc/ssl/ca.pem'"), ("it's", "'it'\"'\"'s'"), ("$(id)", "'$(id)'")],
)
def test_sh_quote_closes_escapes_and_reopens_each_single_quote(value: str, quoted: str) -> None:
    """Single quotes around the value; an embedded single quote is closed, double-quoted and reopened."""
    assert sh_quote(value) == quoted


def _docker_unquote(line: str) -> tuple[str, str]:
    """Read `ENV NAME="value"` as the Dockerfile parser reads a double-quoted word: \\ escapes only ", $ and \\."""
    assert line.startswith("ENV ")
    name, _, rest = line[4:].partition("=")
    assert rest.startswith('"'), rest
    assert rest.endswith('"'), rest
    body, out, at = rest[1:-1], [], 0
    while at < len(body):
        char = body[at]
        assert char not in '"$', "an unescaped %r would end the word or expand a variable" % char
        if char == "\\" and at + 1 < len(body) and body[at + 1] in '"$\\':
            at += 1
            char = body[at]
        out.append(char)
        at += 1
    return name, "".join(out)


def _systemd_unquote(line: str) -> tuple[str, str]:
    """Read `Environment="NAME=value"` as systemd does: C escapes \\\\ and \\", and %% for a literal %."""
    assert line.startswith('Environment="'), line
    assert line.endswith('"'), line
    body, out, at = line[len('Environment="') : -1], [], 0
    while at < len(body):
        char = body[at]
        assert char != '"', "an unescaped quote would end the assignment"
        if char == "\\":
            assert body[at + 1] in '"\\', 'only \\\\ and \\" are written'
            at += 1
            char = body[at]
        elif char == "%":
            assert body[at + 1] == "%", "a lone % would start a specifier"
            at += 1
        out.append(char)
        at += 1
    name, _, value = "".join(out).partition("=")
    return name, value


@SETTINGS
@given(VALUES)
def test_a_dockerfile_line_holds_the_value_or_is_not_offered(value: str) -> None:
    """ENV lines carry any value without a line break exactly; a value with one gets no Dockerfile line."""
    line = dockerfile_lines({"SSL_CERT_FILE": value})
    if "\n" in value or "\r" in value:
        assert line is None
    else:
        assert line is not None
        assert _docker_unquote(line) == ("SSL_CERT_FILE", value)


@SETTINGS
@given(VALUES)
def test_a_systemd_line_holds_the_value_or_is_not_offered(value: str) -> None:
    """Environment= lines carry any value without a line break exactly; a value with one gets no unit line."""
    line = systemd_lines({"SSL_CERT_FILE": value})
    if "\n" in value or "\r" in value:
        assert line is None
    else:
        assert line is not None
        assert _systemd_unquote(line) == ("SSL_CERT_FILE", value)


def test_dockerfile_lines_cannot_unset_and_systemd_lines_can() -> None:
    """A Dockerfile has no way to unset a variable: no Dockerfile form; systemd has UnsetEnvironment=."""
    change = {"SSL_CERT_FILE": '/srv/a "b" $c 5%', "SSL_CERT_DIR": None}
    assert dockerfile_lines(change) is None
    assert systemd_lines(change) == 'Environment="SSL_CERT_FILE=/srv/a \\"b\\" $c 5%%"\nUnsetEnvironment=SSL_CERT_DIR'
    assert dockerfile_lines({"SSL_CERT_FILE": '/srv/a "b" $c'}) == 'ENV SSL_CERT_FILE="/srv/a \\"b\\" \\$c"'


def test_env_lines_offer_every_form_that_can_express_the_change() -> None:
    """The shell form always; the Dockerfile and systemd forms only when they can say it exactly."""
    assert env_lines({"SSL_CERT_FILE": "/srv/ca.pem"}) == {
        "shell": "export SSL_CERT_FILE='/srv/ca.pem'",
        "dockerfile": 'ENV SSL_CERT_FILE="/srv/ca.pem"',
        "systemd": 'Environment="SSL_CERT_FILE=/srv/ca.pem"',
    }
    assert env_lines({"SSL_CERT_FILE": None}) == {
        "shell": "unset SSL_CERT_FILE",
        "systemd": "UnsetEnvironment=SSL_CERT_FILE",
    }
    assert env_lines({"SSL_CERT_FILE": "/srv/a\nb"}) == {"shell": "export SSL_CERT_FILE='/srv/a\nb'"}


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
    out = subprocess.run(
        ["sh", "-c", script], cwd=tmp_path, env=child_env(), capture_output=True, timeout=30, check=True
    )
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
