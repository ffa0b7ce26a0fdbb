"""`check --format nagios` and `--format prometheus` run for real: the plugin's states and exit codes
(docs/exit-codes.md), its usage errors as UNKNOWN, a check that cannot run, and --output replacing the file whole in
every format."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.runs import run_cadoctor
from prometheus_client.parser import text_string_to_metric_families


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _plugin(env: dict[str, str], *args: str) -> tuple[int, list[str]]:
    """Run the plugin; its exit code and stdout's lines (nothing else on stdout, no traceback on stderr)."""
    done = run_cadoctor(["check", "--format", "nagios", *args], env)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout.splitlines()


def test_the_states_follow_the_verdict_and_fail_on(pip_conf: str, tmp_path: Path) -> None:
    """OK when healthy; a warning is WARNING, CRITICAL once --fail-on reaches it; an error is CRITICAL, WARNING with
    --fail-on never."""
    healthy = child_env(PIP_CONFIG_FILE=pip_conf)
    code, lines = _plugin(healthy, "--no-verify")
    assert (code, lines[0][:16]) == (0, "CADOCTOR OK - tr")
    warned = child_env(PIP_CONFIG_FILE=pip_conf, NODE_EXTRA_CA_CERTS=str(tmp_path / "absent.pem"))
    code, lines = _plugin(warned, "--no-verify")
    assert (code, lines[0].split(" - ")[0]) == (1, "CADOCTOR WARNING")
    assert "1 warning (" in lines[0]
    assert _plugin(warned, "--no-verify", "--fail-on", "warning")[0] == 2
    assert _plugin(warned, "--no-verify", "--fail-on", "never")[0] == 1
    broken = child_env(PIP_CONFIG_FILE=pip_conf, SSL_CERT_FILE=str(tmp_path))  # a folder: nothing loads
    code, lines = _plugin(broken, "--no-verify")
    assert (code, lines[0].split(" - ")[0]) == (2, "CADOCTOR CRITICAL")
    assert any(line.startswith("error ") for line in lines[1:])
    assert _plugin(broken, "--no-verify", "--fail-on", "never")[0] == 1


def test_a_host_without_a_tls_answer_is_critical_and_its_password_is_never_shown(pip_conf: str) -> None:
    """Refused: CRITICAL (as check_ssl_cert says a connection failure), WARNING with --fail-on never; the URL's
    userinfo appears nowhere in the output."""
    port = _closed_port()
    env = child_env(PIP_CONFIG_FILE=pip_conf)
    code, lines = _plugin(env, "--no-verify", "--host", "https://ops:s3cret@127.0.0.1:%d/" % port)
    assert code == 2
    assert lines[0].startswith(
        "CADOCTOR CRITICAL - no TLS answer from 127.0.0.1:%d (host-unreachable), and trust " % port
    )
    assert "unreachable=1;;0;0" in lines[0].split(" | ")[1]
    assert not any("s3cret" in line or "ops:" in line for line in lines)
    assert _plugin(env, "--no-verify", "--fail-on", "never", "--host", "127.0.0.1:%d" % port)[0] == 1


@pytest.mark.parametrize(
    "args",
    [
        ["--format", "nagios", "--host", "localhost:99999"],
        ["--host", "localhost:99999", "-fnagios"],
        ["--format=nagios", "--bogus"],
        ["--timeout", "soon", "--format", "nagios"],
        ["-f", "nagios", "--fail-on", "sometimes"],
        ["--format", "nagios", "--pid", "0"],
        ["--format", "nagios", "--root", "/", "--host", "localhost"],
        ["--format", "nagios", "--output", "/no/such/folder/out.txt"],
        ["--format", "nagios", "extra"],
        ["--format", "nagios", "--output"],
    ],
)
def test_a_usage_error_is_unknown_exit_3_in_one_status_line(args: list[str]) -> None:
    """However the line is wrong, and wherever --format nagios stands in it: UNKNOWN, exit 3, one line on stdout,
    and the usual one line on stderr."""
    done = run_cadoctor(["check", *args], child_env())
    assert done.returncode == 3, done.stderr
    assert len(done.stdout.splitlines()) == 1
    assert done.stdout.startswith("CADOCTOR UNKNOWN - ")
    assert "|" not in done.stdout
    assert done.stderr.startswith("cadoctor: ")
    assert done.stdout[len("CADOCTOR UNKNOWN - ") :] in done.stderr.replace("cadoctor: ", "", 1)


def test_the_same_errors_keep_exit_2_in_the_other_formats() -> None:
    """Only the plugin answers usage errors with 3: `--format nagios --format json` is json, and exits 2."""
    assert run_cadoctor(["check", "--host", "localhost:99999"], child_env()).returncode == 2
    done = run_cadoctor(["check", "--format", "nagios", "--format", "json", "--bogus"], child_env())
    assert (done.returncode, done.stdout) == (2, "")


def test_a_check_that_cannot_run_is_unknown_and_a_prometheus_file_says_so(tmp_path: Path) -> None:
    """A missing --python: exit 3 in both; the plugin prints UNKNOWN and why, the file says cadoctor_check_success 0."""
    missing = str(tmp_path / "no-python")
    code, lines = _plugin(child_env(), "--python", missing)
    assert code == 3
    assert lines == ["CADOCTOR UNKNOWN - cannot probe %s: no such file" % missing]
    target = tmp_path / "cadoctor.prom"
    done = run_cadoctor(["check", "--format", "prometheus", "--python", missing, "-o", str(target)], child_env())
    assert (done.returncode, done.stdout) == (3, "")
    samples = {s.name: s.value for f in text_string_to_metric_families(target.read_text()) for s in f.samples}
    assert samples["cadoctor_check_success"] == 0
    assert "cadoctor_status" not in samples


@pytest.mark.parametrize("fmt", ["human", "json", "env", "prometheus", "nagios"])
def test_every_format_replaces_its_output_file_whole(fmt: str, tmp_path: Path, pip_conf: str) -> None:
    """--output in every format: a new file renamed over the old one (another inode), no temporary file left."""
    target = tmp_path / "report"
    target.write_text("the last good report\n")
    before = target.stat().st_ino
    keep = tmp_path / "keep"
    os.link(target, keep)  # holds the old inode, so that a new file cannot reuse its number
    done = run_cadoctor(
        ["check", "--no-verify", "--format", fmt, "--output", str(target)], child_env(PIP_CONFIG_FILE=pip_conf)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert target.stat().st_ino != before
    assert keep.read_text() == "the last good report\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep", "report"]
    assert target.read_text() != "the last good report\n"
    if fmt == "nagios":
        assert target.read_text().startswith("CADOCTOR OK - ")
