"""The recipes of docs/recipes.md run as written: the Dockerfile's baked fix, the fleet's playbook and jq step."""

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
