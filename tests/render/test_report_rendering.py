"""The report as each format renders it: the human form's verdict, lines and summary, JSON, and env's exports."""

from __future__ import annotations

import re
from pathlib import Path

from helpers.environment import child_env
from helpers.openssl import ForeignOpenSSL
from helpers.runs import run_cadoctor

from cadoctor._render.report import Format


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


def test_human_output_is_plain_without_a_terminal(foreign_openssl: ForeignOpenSSL) -> None:
    """Human output starts with the verdict and carries no colour codes when not on a TTY or with NO_COLOR."""
    for extra in ({}, {"NO_COLOR": "1"}):
        result = run_cadoctor(["check"], child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory), **extra))
        assert result.returncode == 1
        assert result.stdout.startswith("cadoctor: ERROR")
        assert "\x1b[" not in result.stdout
        assert "trust-store-empty" in result.stdout
        assert "export SSL_CERT_FILE=" in result.stdout


def test_env_format_is_empty_when_healthy(pip_conf: str) -> None:
    """--format env prints nothing on a healthy interpreter."""
    result = run_cadoctor(["check", "--format", "env"], child_env(PIP_CONFIG_FILE=pip_conf))
    assert (result.returncode, result.stdout) == (0, "")


def test_verdict_and_first_fix_lead_and_a_summary_ends(foreign_openssl: ForeignOpenSSL) -> None:
    """The broken report opens with the verdict and the verified top fix, and its last line sums it up."""
    env = child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory))
    lines = run_cadoctor(["check"], env).stdout.splitlines()
    assert lines[0] == "cadoctor: ERROR - trust is broken or unsafe now"
    assert lines[1].startswith("Fix first: Point SSL_CERT_FILE at ")
    assert lines[1].endswith("[env, verified]")
    assert lines[2].startswith("  export SSL_CERT_FILE=")
    assert re.fullmatch(r"cadoctor: ERROR - 1 error, \d warnings?, \d info; \d fixes \(\d verified\)", lines[-1])


def test_healthy_summary_has_no_fix_line(pip_conf: str) -> None:
    """A healthy report has no 'Fix first' line and ends with an OK summary."""
    lines = run_cadoctor(["check", "--no-verify"], child_env(PIP_CONFIG_FILE=pip_conf)).stdout.splitlines()
    assert not lines[1].startswith("Fix first")
    assert lines[-1].startswith("cadoctor: OK - ")
