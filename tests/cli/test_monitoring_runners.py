"""The monitoring formats read by the real programs that consume them (Debian's packages, installed by .ci/run):
node_exporter's textfile collector serves the file without a scrape error, promtool finds nothing to lint in it,
and Nagios Core runs the plugin and splits its output and state as every runner of the conventions does."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from helpers.environment import child_env
from helpers.monitoring import nagios_config, nagios_run, node_exporter, scrape, tool_or_skip
from helpers.pki import GeneratedCA
from helpers.runs import run_cadoctor
from prometheus_client.parser import text_string_to_metric_families

PLUGIN = "%s -m cadoctor check --format nagios --no-verify" % shlex.quote(sys.executable)


def _closed_port() -> int:
    """A loopback port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _steady(perfdata: str) -> list[str]:
    """Perfdata without what differs between two runs (the duration, the days left to the earliest expiry)."""
    return [item for item in perfdata.split(" ") if not item.startswith(("time=", "root_expiry_days="))]


def test_node_exporter_serves_the_file_with_the_verdict_and_the_findings(
    tls_server: int, test_ca: GeneratedCA, tmp_path: Path
) -> None:
    """A check of two hosts (one untrusted, one silent) written with --output into the textfile folder is served by
    node_exporter with node_textfile_scrape_error 0: the status, the findings and each host's verdicts as metrics."""
    textfiles = tmp_path / "textfile"
    textfiles.mkdir()
    closed = _closed_port()
    args = ["check", "--format", "prometheus", "--no-verify", "--output", str(textfiles / "cadoctor.prom")]
    args += ["--host", "localhost:%d" % tls_server, "--host", "127.0.0.1:%d" % closed]
    done = run_cadoctor(args, child_env())  # no store here trusts the test CA: host-unknown-ca, an error
    assert done.returncode == 1, done.stderr
    assert done.stdout == ""
    log = tmp_path / "node_exporter.log"
    with node_exporter(textfiles, log) as url:
        served = scrape(url)
    samples = _samples(served, "cadoctor.prom")
    assert samples[("node_textfile_scrape_error", ())] == 0
    assert samples[("cadoctor_status", (("status", "error"),))] == 1
    assert samples[("cadoctor_findings", (("severity", "error"),))] >= 1
    assert samples[("cadoctor_finding", (("code", "host-unknown-ca"), ("severity", "error")))] == 1
    assert samples[("cadoctor_finding", (("code", "host-unreachable"), ("severity", "error")))] == 1
    assert samples[("cadoctor_host_verified", (("host", "localhost:%d" % tls_server),))] == 0
    assert samples[("cadoctor_host_reachable", (("host", "localhost:%d" % tls_server),))] == 1
    assert samples[("cadoctor_host_reachable", (("host", "127.0.0.1:%d" % closed),))] == 0
    assert samples[("cadoctor_hosts_unreachable", ())] == 1
    assert samples[("cadoctor_check_success", ())] == 1
    assert "error" not in log.read_text().lower().replace("scrape_error", "")  # nothing dropped while gathering

    trusted = child_env(SSL_CERT_FILE=str(test_ca.bundle))
    args = ["check", "--format", "prometheus", "--no-verify", "--host", "localhost:%d" % tls_server]
    done = run_cadoctor([*args, "--output", str(textfiles / "cadoctor.prom")], trusted)
    assert done.returncode in (0, 1), done.stderr  # the host verifies; the machine's own trust may still warn
    with node_exporter(textfiles, log) as url:
        served = scrape(url)
    assert 'cadoctor_host_verified{file="cadoctor.prom",host="localhost:%d"} 1' % tls_server in served.splitlines()
    assert "node_textfile_scrape_error 0" in served.splitlines()


def _samples(served: str, file: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The scrape's samples by name and labels; every cadoctor series must name its file, which is left out here."""
    samples = {}
    for family in text_string_to_metric_families(served):
        for sample in family.samples:
            labels = dict(sample.labels)
            if sample.name.startswith("cadoctor_"):
                assert labels.pop("file", None) == file, sample
            samples[(sample.name, tuple(sorted(labels.items())))] = sample.value
    return samples


def test_two_checks_files_in_one_folder_are_served_side_by_side(tls_server: int, tmp_path: Path) -> None:
    """Two checks written into one textfile folder (one per application, per --pid): each series names its file,
    so node_exporter serves both whole, where the same series in two files would be dropped with a gathering error."""
    textfiles = tmp_path / "textfile"
    textfiles.mkdir()
    for name in ("app-one.prom", "app-two.prom"):
        args = ["check", "--format", "prometheus", "--no-verify", "--output", str(textfiles / name)]
        done = run_cadoctor([*args, "--host", "localhost:%d" % tls_server], child_env())
        assert done.returncode == 1, done.stderr
    log = tmp_path / "node_exporter.log"
    with node_exporter(textfiles, log) as url:
        served = scrape(url)
    assert "error" not in log.read_text().lower(), log.read_text()
    statuses = [line for line in served.splitlines() if line.startswith("cadoctor_status{")]
    assert sorted(statuses) == sorted(
        'cadoctor_status{file="%s",status="%s"} %d' % (name, status, status == "error")
        for name in ("app-one.prom", "app-two.prom")
        for status in ("error", "ok", "warning")
    )
    assert "node_textfile_scrape_error 0" in served.splitlines()


def test_promtool_finds_nothing_to_lint_in_the_file(tls_server: int, tmp_path: Path) -> None:
    """`promtool check metrics` (Prometheus' own linter of names, units, HELP and TYPE) is silent on a file with
    hosts, clients and findings."""
    promtool = tool_or_skip("promtool", "prometheus")
    args = ["check", "--format", "prometheus", "--no-verify", "--host", "localhost:%d" % tls_server]
    args += ["--host", "127.0.0.1:%d" % _closed_port()]
    written = run_cadoctor(args, child_env()).stdout
    assert "cadoctor_host_reachable{" in written
    lint = subprocess.run(
        [promtool, "check", "metrics"], input=written, capture_output=True, text=True, timeout=60, check=False
    )
    assert (lint.returncode, lint.stdout, lint.stderr) == (0, "", ""), lint.stdout + lint.stderr


def test_nagios_core_runs_the_plugin_and_reads_its_state_output_and_perfdata(tmp_path: Path) -> None:
    """Nagios Core 4 runs three services: a healthy check, a host without a TLS answer, a usage error. It records
    each state as the exit code, the status line as plugin_output, the rest as long output, and the perfdata."""
    closed = _closed_port()
    services = {
        "healthy": "",
        "unreachable": "--host 127.0.0.1:%d" % closed,
        "usage": "--host localhost:99999",
    }
    objects = "define command {\n    command_name check_cadoctor\n    command_line %s $ARG1$\n}\n" % PLUGIN
    for name, args in services.items():
        objects += (
            "define service {\n    use generic-service\n    host_name localhost\n    service_description %s\n"
            "    check_command check_cadoctor!%s\n}\n" % (name, args)
        )
    config = nagios_config(tmp_path / "nagios", objects, "localhost")
    recorded = {status["service_description"]: status for status in nagios_run(config, len(services))}
    for name, args in services.items():
        direct = run_cadoctor(["check", "--format", "nagios", "--no-verify", *args.split()], child_env())
        first, *rest = direct.stdout.splitlines()
        status = recorded[name]
        assert int(status["current_state"]) == direct.returncode, status
        assert status["plugin_output"] == first.split(" | ")[0], status
        assert _steady(status["performance_data"]) == _steady(first.partition(" | ")[2]), status
        assert status["long_plugin_output"].split("\\n")[1:] == rest[1:], status
    assert int(recorded["healthy"]["current_state"]) in (0, 1)  # the machine's own trust may warn
    assert recorded["unreachable"]["current_state"] == "2"
    assert recorded["unreachable"]["plugin_output"].startswith("CADOCTOR CRITICAL - no TLS answer from 127.0.0.1:")
    assert "unreachable=1;;0;0" in recorded["unreachable"]["performance_data"]
    assert recorded["usage"]["current_state"] == "3"
    assert recorded["usage"]["plugin_output"].startswith("CADOCTOR UNKNOWN - --host: invalid port '99999'")
