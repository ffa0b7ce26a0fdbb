"""The report as each format renders it: the human form's verdict, lines and summary, JSON, and env's exports."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.openssl import ForeignOpenSSL
from helpers.runs import run_cadoctor

import cadoctor
from cadoctor._render.formats import Format, render
from cadoctor._render.report import to_document
from cadoctor._render.run import Run


def _rendered(report: cadoctor.Report, fmt: Format) -> str:
    """What `render` writes for a report in one format."""
    stream = io.StringIO()
    render(report, fmt, stream, Run(finished=1_800_000_000.0, seconds=0.5))
    return stream.getvalue()


def test_every_format_has_a_renderer(
    in_process_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every format renders real reports: the human verdict first, JSON that is the document, env's verified fix."""
    healthy = cadoctor.check(verify=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "gone.pem"))
    broken = cadoctor.check()  # the compiled defaults serve: unsetting the variable is the verified fix
    assert list(Format) == [Format.HUMAN, Format.JSON, Format.ENV, Format.PROMETHEUS, Format.NAGIOS]
    verdicts = {"ok": "nothing at warning level or above", "error": "trust is broken or unsafe now"}
    for report, status in ((healthy, "ok"), (broken, "error")):
        assert report.status == status
        human = _rendered(report, Format.HUMAN).splitlines()
        assert human[0] == "cadoctor: %s - %s" % (status.upper(), verdicts[status])
        assert human[-1].startswith("cadoctor: %s - " % status.upper())
        assert json.loads(_rendered(report, Format.JSON)) == to_document(report)
    assert _rendered(healthy, Format.ENV) == ""
    assert 'cadoctor_status{status="error"} 1\n' in _rendered(broken, Format.PROMETHEUS)
    assert _rendered(healthy, Format.NAGIOS).startswith("CADOCTOR OK - ")  # the state the CLI decided: Run's 0
    assert _rendered(broken, Format.ENV) == "unset SSL_CERT_FILE\n"


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
