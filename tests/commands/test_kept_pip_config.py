"""A kept verdict of real pip follows the configuration files pip only looked for: one that appears is a new request.

pip (the clients venv's, from PyPI) looks for each of its configuration files with `os.path.exists`, which raises
no audit event, and what one says (a proxy here) changes what its request does. The check runs as a user runs it,
in a private mount namespace where this machine's own pip configuration (/etc/pip.conf, /etc/xdg/pip/pip.conf) is
an empty file, with a home of the test's own whose ~/.config/pip already exists (so the folders above it stay as
they were when the file appears). Ground truth: pip itself, asked with the same environment in the same namespace.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from helpers import clients, environment, venvs
from helpers.os_store import namespace_or_skip
from helpers.pki import GeneratedCA

from cadoctor._fixes.verify import KEPT_REQUESTS as KEPT

pytestmark = [pytest.mark.slow, pytest.mark.index]

HIDDEN = ("/etc/pip.conf", "/etc/xdg/pip/pip.conf")  # this machine's own: empty inside the namespace


def _prefix() -> tuple[str, ...]:
    """`unshare -m` with /dev/null bound over each of this machine's pip configuration files that exists."""
    mounts = " && ".join("mount --bind /dev/null %s" % shlex.quote(path) for path in HIDDEN if os.path.exists(path))
    script = '%s && exec "$@"' % mounts if mounts else 'exec "$@"'
    return ("unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", script, "hide-pip-conf")


def _check(prefix: tuple[str, ...], python: Path, port: int, env: dict[str, str]) -> dict[str, Any]:
    """`cadoctor check --python <venv> --host localhost:PORT --format json`, its first fix."""
    argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--python", str(python)]
    argv += ["--host", "localhost:%d" % port]
    done = subprocess.run([*prefix, *argv], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    fix: dict[str, Any] = json.loads(done.stdout)["fixes"][0]
    return fix


def _kept(fix: dict[str, Any]) -> list[str]:
    """The clients whose verdicts an earlier check's requests gave (the evidence says so first)."""
    lead, _, tail = KEPT.partition("%s")
    said, found, _ = fix["evidence"].partition(tail + ": ")
    return said.removeprefix(lead).split(", ") if found and said.startswith(lead) else []


def _pip_output(python: Path, port: int, env: dict[str, str], prefix: tuple[str, ...], scratch: Path) -> str:
    """What `pip download` against the host prints, run as a user runs it (one try, no cache)."""
    argv = [str(python), "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--retries", "0", "--timeout", "5"]
    argv += ["--disable-pip-version-check", "--no-input", "-vv", "--index-url", "https://localhost:%d/simple/" % port]
    argv += ["--dest", str(scratch), "x"]
    done = subprocess.run([*prefix, *argv], env=env, capture_output=True, text=True, timeout=120, check=False)
    return done.stdout + done.stderr


@pytest.mark.root("a private mount namespace that hides this machine's pip configuration")
def test_a_pip_conf_that_appears_makes_pip_asked_again(ca: GeneratedCA, port: int, tmp_path: Path) -> None:
    """The fix (REQUESTS_CA_BUNDLE at the root) is proven by pip's request and kept; a ~/.config/pip/pip.conf
    appears that sends pip through a proxy that is not there: the next check asks pip again, and pip's request no
    longer succeeds, as pip itself no longer reaches the host."""
    namespace_or_skip()
    python = venvs.clients_venv()
    prefix = _prefix()
    own = tmp_path / "corp-root.pem"
    shutil.copy(ca.bundle, own)
    home = tmp_path / "home"
    (home / ".config" / "pip").mkdir(parents=True)
    env = environment.child_env(HOME=str(home), SSL_CERT_FILE=str(own), CADOCTOR_CACHE=str(tmp_path / "cache"))
    del env["PIP_CONFIG_FILE"]  # the tests' own /dev/null: pip looks for its files where it always does
    time.sleep(2.1)  # a file written within kept.RACY seconds of a trial leaves its answer unkept
    first = _check(prefix, python, port, env)
    assert first["verified"] is True, first["evidence"]
    assert "pip (through pip " in first["evidence"], first["evidence"]
    told = {**env, "REQUESTS_CA_BUNDLE": str(own)}  # pip told of the root the way the fix tells it
    assert clients.outcome(python, "pip", port, told, prefix=prefix) == "Y"
    assert "pip" in _kept(_check(prefix, python, port, env))
    (home / ".config" / "pip" / "pip.conf").write_text("[global]\nproxy = http://127.0.0.1:9\n")
    assert "proxy" in _pip_output(python, port, told, prefix, tmp_path).lower()  # pip's own answer changed
    again = _check(prefix, python, port, env)
    assert "pip" not in _kept(again), again["evidence"]
    said = again["evidence"].partition("pip (through pip ")[2].partition(")")[2]
    assert not said.startswith(" succeeded"), again["evidence"]
