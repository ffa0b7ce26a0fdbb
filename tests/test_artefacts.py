"""Smoke tests of tests/helpers/artefacts.py: the real frozen apps and the wheel's node build, start and stop."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import TESTS, artefacts
from helpers.environment import child_env

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the artefacts are read through /proc")

FROZEN = [
    pytest.param(artefacts.pyinstaller_app, id="pyinstaller"),
    pytest.param(artefacts.cx_freeze_app, id="cx_freeze"),
]


def _maps(pid: int) -> str:
    return Path("/proc/%d/maps" % pid).read_text()


@pytest.mark.index
@pytest.mark.parametrize("app", FROZEN)
def test_frozen_app_runs_from_its_own_directory_and_records_its_argv(app: Callable[[], Path], tmp_path: Path) -> None:
    """A frozen app is its own executable, maps a libcrypto from its own directory, and records exactly one run."""
    executable = app()
    marker = tmp_path / "marker"
    with artefacts.running_artefact([executable], marker=marker) as child:
        assert child.before_ready == []
        assert Path(os.readlink("/proc/%d/exe" % child.pid)) == executable.resolve()
        crypto = [line.split()[-1] for line in _maps(child.pid).splitlines() if "/libcrypto" in line]
        assert crypto, "ssl was imported, so a libcrypto is mapped"
        assert all(Path(path).is_relative_to(executable.parent) for path in crypto), crypto
    assert child.returncode == 0, child.stderr_text()
    assert artefacts.marker_lines(marker) == [[str(executable)]]


@pytest.mark.index
@pytest.mark.parametrize("app", FROZEN)
def test_frozen_app_given_an_argument_prints_42_before_ready(app: Callable[[], Path], tmp_path: Path) -> None:
    """An argument makes a frozen app print 42 first, which start() keeps apart in before_ready."""
    marker = tmp_path / "marker"
    child = artefacts.start([app(), "--version"], marker=marker)
    assert child.before_ready == ["42"]
    assert artefacts.stop(child) == (0, "")
    assert artefacts.marker_lines(marker) == [[str(app()), "--version"]]


@pytest.mark.index
def test_wheel_node_lives_in_site_packages_and_loads_tls(tmp_path: Path) -> None:
    """The wheel's node sits under a venv's site-packages and runs its tls script with only the given environment."""
    node = artefacts.wheel_node()
    assert "site-packages" in node.parts
    marker = tmp_path / "marker"
    env = child_env()
    with artefacts.start_node(env=env, marker=marker) as child:
        assert Path(os.readlink("/proc/%d/exe" % child.pid)) == node.resolve()
        environ = Path("/proc/%d/environ" % child.pid).read_bytes().split(b"\0")
        given = {**env, "ARTEFACT_MARKER": str(marker)}
        assert sorted(item for item in environ if item) == sorted(os.fsencode("%s=%s" % kv) for kv in given.items())
    assert child.returncode == 0
    assert artefacts.marker_lines(marker) == [[str(node), str(artefacts.node_script())]]


@pytest.mark.index
def test_artefacts_are_built_once_and_reused_by_another_process() -> None:
    """A second call, and a fresh interpreter on the same cache, reuse the finished directory without rebuilding it."""
    executable = artefacts.pyinstaller_app()
    stamp = executable.parents[2] / "artefact.json"
    built = stamp.stat().st_mtime_ns
    assert artefacts.pyinstaller_app() == executable
    env = child_env(PYTHONPATH=str(TESTS), CADOCTOR_ARTEFACTS=str(artefacts.cache_root()))
    code = (
        "import time; from helpers import artefacts; t = time.monotonic(); print(artefacts.pyinstaller_app());"
        " print(time.monotonic() - t)"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    path, seconds = done.stdout.split()
    assert Path(path) == executable
    assert float(seconds) < 1, "the cached build was found, not rebuilt (%.1fs in all)" % (time.monotonic() - started)
    assert stamp.stat().st_mtime_ns == built


@pytest.mark.parametrize("retries", ["0", "1"])
def test_unreachable_registry_skips_instead_of_failing(tmp_path: Path, retries: str) -> None:
    """When pip cannot connect to its index, whether or not it retries, the build skips the test and says why."""
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        index = "http://127.0.0.1:%d/simple/" % closed.getsockname()[1]
        env = child_env(PIP_INDEX_URL=index, PIP_RETRIES=retries)
        with pytest.raises(pytest.skip.Exception, match=r"pip cannot reach the package registry.*Connection refused"):
            artefacts.pip_install(sys.executable, ["cadoctor-no-such-package==0"], env, tmp_path / "log")


def test_untrusted_registry_fails_instead_of_skipping(tmp_path: Path, tls_server: int) -> None:
    """An index that answers with a certificate pip does not trust is a failure to show, not a network outage."""
    index = "https://localhost:%d/simple/" % tls_server
    env = child_env(PIP_INDEX_URL=index, PIP_RETRIES="0")
    with pytest.raises(artefacts.BuildError, match="No matching distribution found"):
        artefacts.pip_install(sys.executable, ["cadoctor-no-such-package==0"], env, tmp_path / "log")
    assert "CERTIFICATE_VERIFY_FAILED" in (tmp_path / "log").read_text()


def test_failed_step_raises_with_its_whole_output(tmp_path: Path) -> None:
    """Any other failed build step raises BuildError carrying the command, exit code and output, and logs it."""
    log = tmp_path / "log"
    argv = [sys.executable, "-c", "print('first line'); print('last line'); raise SystemExit(3)"]
    with pytest.raises(artefacts.BuildError, match=r"(?s)exited 3.*first line\nlast line") as raised:
        artefacts.run_step("example", argv, child_env(), tmp_path, log)
    assert raised.value.returncode == 3
    assert "last line" in log.read_text()


def test_start_reports_a_child_that_exits_before_ready() -> None:
    """start() raises StartError with the child's output when it exits without saying ready."""
    argv = [sys.executable, "-c", "import sys; print('nope'); sys.exit('broken')"]
    with pytest.raises(artefacts.StartError, match=r"(?s)exited 1 before 'ready'.*nope.*broken"):
        artefacts.start(argv)
