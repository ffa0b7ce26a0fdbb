"""The recipes of docs/recipes.md run as written: the Dockerfile's baked fix, the fleet's playbook and jq step, and
the monitoring section's units, cron line, alerting rules and Nagios, NRPE and Icinga 2 definitions."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import CHECKOUT
from helpers.environment import child_env
from helpers.monitoring import nagios_config, nagios_run, nagios_verify, tool_or_skip
from helpers.openssl import ForeignOpenSSL
from helpers.processes import WAIT, running
from helpers.runs import validate
from helpers.venvs import ansible_venv

import cadoctor

PAGE = CHECKOUT / "docs" / "recipes.md"
CONSOLE_SCRIPT = """#!{python}
import sys
sys.path.insert(0, {source!r})
from cadoctor._cli.main import entry
sys.exit(entry())
"""

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ps reads Linux's /proc")


def _fleet_blocks() -> tuple[str, str]:
    """The playbook and the aggregation commands of the page's fleet section, as printed."""
    section = PAGE.read_text().split("## A fleet", 1)[1]
    playbook = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    aggregation = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert playbook is not None
    assert aggregation is not None
    return playbook.group(1), aggregation.group(1)


@pytest.mark.index
@pytest.mark.slow
def test_the_fleet_recipe_runs_as_written(foreign_openssl: ForeignOpenSSL, tmp_path: Path) -> None:
    """ansible-core (from PyPI) runs the page's playbook on localhost, and its jq lines find a broken process there."""
    if shutil.which("jq", path="/usr/bin:/bin") is None:
        pytest.skip("no jq in /usr/bin or /bin (apt-get install jq)")
    ansible_python = ansible_venv()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "cadoctor").write_text(
        CONSOLE_SCRIPT.format(python=sys.executable, source=str(Path(cadoctor.__file__).parent.parent))
    )
    (bin_dir / "ansible-playbook").write_text('#!/bin/sh\nexec "%s" -m ansible.cli.playbook "$@"\n' % ansible_python)
    for tool in ("cadoctor", "ansible-playbook"):
        (bin_dir / tool).chmod(0o755)
    playbook, aggregation = _fleet_blocks()
    (tmp_path / "cadoctor.yml").write_text(playbook)
    env = child_env(PATH="%s:/usr/bin:/bin" % bin_dir, HOME=str(tmp_path), ANSIBLE_PYTHON_INTERPRETER="auto_silent")
    # The page's inventory is the reader's; here it is this machine. Root becomes root with su (no sudo needed);
    # another user scans its own processes, which include the one this test starts.
    become = ["-e", "ansible_become_method=su"] if os.geteuid() == 0 else ["-e", "ansible_become=false"]
    command = ["ansible-playbook", "-i", "localhost,", "-c", "local", *become, "cadoctor.yml"]
    broken = child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory))
    with running([sys.executable, "-c", "import ssl; " + WAIT], broken):
        played = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert played.returncode == 0, played.stdout[-3000:] + played.stderr[-3000:]
    validate(json.loads((tmp_path / "reports" / "localhost.json").read_text()), "ps-v1.json")
    table = subprocess.run(
        ["bash", "-c", aggregation], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout.splitlines()
    assert any(line.startswith("localhost\terror\ttrust-store-empty\t") for line in table), table
    assert any(line.split()[1:2] == [foreign_openssl.openssldir] for line in table), table


def _dockerfile_fix() -> tuple[str, list[str]]:
    """The Dockerfile recipe's RUN line that bakes the fix, and its ENTRYPOINT, as printed."""
    section = PAGE.read_text().split("## A Dockerfile", 1)[1]
    block = re.search(r"```dockerfile\n(.*?)```", section, re.DOTALL)
    assert block is not None
    lines = block.group(1).splitlines()
    (run,) = [line[len("RUN ") :] for line in lines if line.startswith("RUN ") and "--format env" in line]
    (entrypoint,) = [json.loads(line[len("ENTRYPOINT ") :]) for line in lines if line.startswith("ENTRYPOINT ")]
    return run, entrypoint


def test_the_dockerfile_recipe_bakes_the_verified_fix_into_the_container_start(tmp_path: Path) -> None:
    """Its RUN line writes the verified env fix for a missing SSL_CERT_FILE; its ENTRYPOINT applies it to the CMD."""
    run, entrypoint = _dockerfile_fix()
    baked = tmp_path / "cadoctor-trust.sh"
    assert run.count("/etc/cadoctor-trust.sh") == 1
    assert sum(part.count("/etc/cadoctor-trust.sh") for part in entrypoint) == 1
    run = run.replace("/etc/cadoctor-trust.sh", str(baked))  # the image's /etc is this test's folder
    entrypoint = [part.replace("/etc/cadoctor-trust.sh", str(baked)) for part in entrypoint]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "cadoctor").write_text(
        CONSOLE_SCRIPT.format(python=sys.executable, source=str(Path(cadoctor.__file__).parent.parent))
    )
    (bin_dir / "cadoctor").chmod(0o755)
    (bin_dir / "python3").symlink_to(sys.executable)  # the image's python3, which check examines
    env = child_env(PATH="%s:/usr/bin:/bin" % bin_dir, SSL_CERT_FILE=str(tmp_path / "gone.pem"))
    built = subprocess.run(["/bin/sh", "-c", run], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    lines = [shlex.split(line) for line in baked.read_text().splitlines()]
    assert lines, "no verified env fix for a missing SSL_CERT_FILE"
    expected = dict(env)
    for command, *assignments in lines:  # `unset A B` and `export A='value'`, as sh reads them
        assert command in ("unset", "export"), lines
        for word in assignments:
            name, _, value = word.partition("=")
            if command == "unset":
                expected.pop(name, None)
            else:
                expected[name] = value
    app = "import json, os; print(json.dumps(dict(os.environ)))"
    started = subprocess.run(
        [*entrypoint, "python3", "-c", app], env=env, capture_output=True, text=True, timeout=60, check=True
    )
    seen = json.loads(started.stdout)
    seen.pop("PWD", None)  # set by the entrypoint's sh
    assert seen == expected


DOCUMENTED = "/usr/local/bin/cadoctor"


def _monitoring_blocks() -> dict[str, list[str]]:
    """The monitoring section's code blocks by language (`ini`, `yaml`, `nagios`, `icinga2`; `` for cron and NRPE)."""
    section = PAGE.read_text().split("## Monitoring", 1)[1]
    blocks: dict[str, list[str]] = {}
    for language, body in re.findall(r"```(\w*)\n(.*?)```", section, re.DOTALL):
        blocks.setdefault(language, []).append(body)
    return blocks


def _exec_start(unit: str) -> list[str]:
    """A service unit's ExecStart command line, as systemd splits it."""
    (line,) = [line for line in unit.splitlines() if line.startswith("ExecStart=")]
    return shlex.split(line[len("ExecStart=") :])


def test_the_systemd_units_verify_and_the_cron_line_runs_the_same_check(tmp_path: Path) -> None:
    """`systemd-analyze verify` passes the service and its timer without a word; the cron line runs the service's
    command; and that command, run here, writes a file prometheus_client reads with the verdict in it."""
    analyze = tool_or_skip("systemd-analyze", "systemd")
    if not Path("/usr/lib/systemd/system/timers.target").exists():
        pytest.skip("no systemd units in /usr/lib/systemd/system to verify against")
    service, timer = _monitoring_blocks()["ini"]
    root = tmp_path / "root"
    shutil.copytree("/usr/lib/systemd/system", root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    (root / "usr" / "local" / "bin").mkdir(parents=True)
    (root / "usr" / "local" / "bin" / "cadoctor").write_text("#!/bin/sh\n")
    (root / "usr" / "local" / "bin" / "cadoctor").chmod(0o755)
    units = root / "etc" / "systemd" / "system"
    units.mkdir(parents=True)
    names = []
    for unit in (service, timer):
        path = unit.splitlines()[0].removeprefix("# ")
        assert path.startswith("/etc/systemd/system/cadoctor-textfile."), path
        names.append(Path(path).name)
        (units / names[-1]).write_text(unit)
    verified = subprocess.run(
        [analyze, "verify", "--root=%s" % root, *names], capture_output=True, text=True, timeout=120, check=False
    )
    assert (verified.returncode, verified.stdout, verified.stderr) == (0, "", ""), verified.stderr
    command = _exec_start(service)
    (cron,) = _monitoring_blocks()[""][:1]
    assert shlex.split(cron)[:6] == ["*/15", "*", "*", "*", "*", "root"]
    assert shlex.split(cron)[6:] == command
    textfile = tmp_path / "cadoctor.prom"
    output = command.index("--output") + 1
    assert command[output] == "/var/lib/prometheus/node-exporter/cadoctor.prom"  # Debian's textfile folder
    assert command[0] == DOCUMENTED
    command[output] = str(textfile)
    ran = subprocess.run(
        [sys.executable, "-m", "cadoctor", *command[1:]], env=child_env(), capture_output=True, text=True, timeout=120
    )
    assert (ran.returncode, ran.stdout) == (0, ""), ran.stderr  # --fail-on never: the metrics carry the verdict
    from prometheus_client.parser import text_string_to_metric_families

    names = [family.name for family in text_string_to_metric_families(textfile.read_text())]
    assert "cadoctor_status" in names


def test_the_alerting_rules_pass_promtool_and_name_only_metrics_cadoctor_writes(tmp_path: Path) -> None:
    """`promtool check rules` accepts the page's rules; each metric they use is one the textfile carries."""
    promtool = tool_or_skip("promtool", "prometheus")
    (rules,) = _monitoring_blocks()["yaml"]
    (tmp_path / "cadoctor.rules.yml").write_text(rules)
    checked = subprocess.run(
        [promtool, "check", "rules", str(tmp_path / "cadoctor.rules.yml")],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 5 rules found" in checked.stdout
    documented = set(re.findall(r"`(cadoctor_[a-z_]+)`", PAGE.read_text().split("## Monitoring", 1)[1]))
    assert set(re.findall(r"\b(cadoctor_[a-z_]+)", rules)) <= documented


def test_the_metrics_table_lists_every_family_the_textfile_can_carry() -> None:
    """The page's table names each family of a file with hosts, clients and an expiry, and of a failed check."""
    from helpers.records import COMPILED_CAFILE, bundle, facts, host, with_bundles

    from cadoctor._model import Client, ClientTrust, Finding, HostClient, Report, Severity
    from cadoctor._render.prometheus import render_prometheus, render_prometheus_failure
    from cadoctor._render.run import Run

    trust = ClientTrust("openssl-defaults", COMPILED_CAFILE, 1, "default")
    client = Client("requests", "2.32.3", "requests", trust, (), "")
    answered = host(None, seconds=0.1, clients=(HostClient("requests", True),))
    served = with_bundles(facts(hosts=(answered,)), bundle(COMPILED_CAFILE, "in-effect:cafile", expires=2_000_000_000))
    finding = Finding("openssldir-missing", Severity.WARNING, "OPENSSLDIR /usr/local/ssl does not exist here")
    report = Report(facts=served, findings=(finding,), fixes=(), clients=(client,))
    text = render_prometheus(report, Run(1.0, 1.0)) + render_prometheus_failure(Run(1.0, 1.0))
    written = set(re.findall(r"^# TYPE (cadoctor_[a-z_]+) gauge$", text, re.MULTILINE))
    table = [line for line in PAGE.read_text().split("## Monitoring", 1)[1].splitlines() if line.startswith("| `cadoc")]
    assert written == set(re.findall(r"`(cadoctor_[a-z_]+)`", "\n".join(table)))


def test_the_nagios_definitions_pass_nagios_and_run_the_plugin(tmp_path: Path) -> None:
    """Nagios Core accepts the page's command and service (`nagios4 -v`), runs the check, and records its state;
    the NRPE line runs the same command with the service's argument."""
    (definitions,) = _monitoring_blocks()["nagios"]
    assert definitions.count(DOCUMENTED) == 1
    here = "%s -m cadoctor" % shlex.quote(sys.executable)
    config = nagios_config(tmp_path / "nagios", definitions.replace(DOCUMENTED, here), "localhost")
    verified = nagios_verify(config)
    assert verified.returncode == 0, verified.stdout[-3000:]
    assert "Total Errors:   0" in verified.stdout
    assert "Total Warnings: 0" in verified.stdout, verified.stdout[-3000:]
    command_line = re.search(r"command_line\s+(.*)", definitions)
    argument = re.search(r"check_command\s+check_cadoctor!(.*)", definitions)
    assert command_line is not None
    assert argument is not None
    nrpe = [line for line in _monitoring_blocks()[""] if line.startswith("command[check_cadoctor]=")]
    assert [line.partition("=")[2].strip() for line in nrpe] == [
        command_line.group(1).replace("$ARG1$", argument.group(1).strip())
    ]
    if not Path(shlex.split(argument.group(1))[-1]).exists():
        pytest.skip("no %s here to check" % argument.group(1))
    (status,) = nagios_run(config, 1)
    assert status["service_description"] == "CA trust path"
    assert status["plugin_output"].startswith("CADOCTOR ")
    assert int(status["current_state"]) in (0, 1, 2)


def test_the_icinga2_check_command_passes_icinga2() -> None:
    """`icinga2 daemon -C` validates the page's CheckCommand and apply rule."""
    icinga2 = tool_or_skip("icinga2", "icinga2-bin")
    import getpass
    import grp
    import tempfile

    (definition,) = _monitoring_blocks()["icinga2"]
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "cadoctor.conf").write_text(definition)
        owner = ["-DRunAsUser=%s" % getpass.getuser(), "-DRunAsGroup=%s" % grp.getgrgid(os.getegid()).gr_name]
        checked = subprocess.run(
            [icinga2, "daemon", "-C", "-c", str(Path(folder) / "cadoctor.conf"), "-DCacheDir=%s" % folder, *owner],
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert "Instantiated 1 CheckCommand" in checked.stdout
    assert "critical/" not in checked.stdout
