"""The `cadoctor` command as the README's routes install it: pipx, `uv tool install`, uvx, an app's venv by path.

Each route installs a wheel built from this checkout, with its dependencies, from the README routes' local
wheelhouse (tests/helpers/venvs.py), in a home folder of its own; the command is then run by the path the route
gives it, with the user's python3 first on PATH.
The installers are the real ones from PyPI: their markers (pipx's metadata, uv's receipt, uvx's cache folder) are
what decides whose Python is examined, and the options must reach that Python's handshakes.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from helpers import CHECKOUT
from helpers.artefacts import run_step
from helpers.environment import child_env
from helpers.pki import make_chain
from helpers.runs import CHILD_TIMEOUT, exit_for
from helpers.servers import serve, server_context, tls_handler
from helpers.venvs import install_tools_venv, uv_venv

pytestmark = [pytest.mark.index, pytest.mark.slow]

INSTALL_TIMEOUT = 600


@dataclass(frozen=True)
class Wheels:
    """cadoctor's wheel, built from this checkout, and the folders its installers take every wheel from."""

    cadoctor: Path
    folders: tuple[Path, ...]

    def links(self) -> list[str]:
        """The folders as `--find-links` options."""
        return [option for folder in self.folders for option in ("--find-links", str(folder))]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Wheels:
    """This checkout's wheel, built offline from the README routes' wheelhouse (hatchling, the dependencies, pip)."""
    _tools, wheelhouse = install_tools_venv()
    folder = tmp_path_factory.mktemp("built")
    argv = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index", "--find-links"]
    run_step("wheel", [*argv, str(wheelhouse), "--wheel-dir", str(folder), str(CHECKOUT)], child_env(), folder, None)
    (wheel,) = folder.glob("cadoctor-*.whl")
    return Wheels(wheel, (wheelhouse, folder))


@pytest.fixture(scope="module")
def user(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The user's own venv, whose python3 is first on PATH: what a command of its own must examine."""
    venv = tmp_path_factory.mktemp("user") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=child_env())
    return venv


def _offline(home: Path, user: Path, **extra: str) -> dict[str, str]:
    """The environment a route's installer runs in: the wheelhouse its only index, a home folder of its own."""
    return child_env(HOME=str(home), PATH="%s:/usr/bin:/bin" % (user / "bin"), **extra)


@pytest.fixture(scope="module")
def pipx_command(tmp_path_factory: pytest.TempPathFactory, wheels: Wheels, user: Path) -> Path:
    """`pipx install` of the wheel (pipx's pip backend), from the wheelhouse alone."""
    home = tmp_path_factory.mktemp("pipx-home")
    links = " ".join(str(folder) for folder in wheels.folders)
    env = _offline(
        home,
        user,
        PIPX_HOME=str(home / "pipx"),
        PIPX_BIN_DIR=str(home / "bin"),
        PIP_NO_INDEX="1",  # for every pip pipx runs: older pipx upgrades its shared pip without --pip-args
        PIP_FIND_LINKS=links,
    )
    pipx = [str(install_tools_venv()[0]), "-m", "pipx"]
    run_step("pipx install", [*pipx, "install", str(wheels.cadoctor)], env, home, None)
    return home / "bin" / "cadoctor"


@pytest.fixture(scope="module")
def uv_tool_command(tmp_path_factory: pytest.TempPathFactory, wheels: Wheels, user: Path) -> Path:
    """`uv tool install` of the wheel, from the wheelhouse alone."""
    home = tmp_path_factory.mktemp("uv-home")
    env = _offline(
        home, user, UV_TOOL_DIR=str(home / "tools"), UV_TOOL_BIN_DIR=str(home / "bin"), UV_CACHE_DIR=str(home / "c")
    )
    uv = uv_venv().parent / "uv"
    argv = [str(uv), "tool", "install", "--offline", "--no-index", "--python", sys.executable, *wheels.links()]
    argv.append(str(wheels.cadoctor))  # with this Python, which the wheelhouse's wheels were chosen for
    run_step("uv tool install", argv, env, home, None)
    return home / "bin" / "cadoctor"


@pytest.fixture(scope="module")
def uvx_prefix(tmp_path_factory: pytest.TempPathFactory, wheels: Wheels) -> tuple[list[str], Path]:
    """The argv that runs `cadoctor` through `uvx` (`uv tool run`), from the wheelhouse alone; and uv's cache."""
    home = tmp_path_factory.mktemp("uvx-home")
    uv = uv_venv().parent / "uv"
    argv = [str(uv), "tool", "run", "--offline", "--no-index", "--python", sys.executable, *wheels.links()]
    return [*argv, "--from", str(wheels.cadoctor), "cadoctor"], home


@pytest.fixture(scope="module")
def app_command(tmp_path_factory: pytest.TempPathFactory, wheels: Wheels) -> Path:
    """An application's venv with cadoctor pip-installed into it, as a Dockerfile does: its bin/cadoctor."""
    venv = tmp_path_factory.mktemp("app") / ".venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=child_env(), timeout=CHILD_TIMEOUT)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--no-index", *wheels.links()]
    run_step("pip install", [*pip, str(wheels.cadoctor)], child_env(), venv, None)
    return venv / "bin" / "cadoctor"


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """One command run as the user runs it."""
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False)


def _report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The JSON report of a finished check, whose exit status must be the one it implies."""
    report: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == exit_for(report), done.stderr
    return report


@pytest.fixture
def mtls(tmp_path: Path) -> Iterator[tuple[int, Path, Path, Path]]:
    """A loopback server requiring a client certificate from its own CA: its port, root, client cert and key."""
    server = make_chain(tmp_path / "server", intermediate=False)
    clients = make_chain(tmp_path / "clients", "cadoctor Client Root", intermediate=False, client=True)
    context = server_context(server.leaf, server.key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cafile=str(clients.root))
    with serve(tls_handler(context)) as port:
        yield port, server.root, clients.leaf, clients.key


def _route(request: pytest.FixtureRequest, route: str, user: Path, **extra: str) -> tuple[list[str], dict[str, str]]:
    """The argv that runs the route's command, and the environment it runs in: the user's python3 first on PATH."""
    home = request.getfixturevalue("tmp_path")
    if route == "uvx":
        prefix, cache = request.getfixturevalue("uvx_prefix")
        return prefix, _offline(home, user, UV_CACHE_DIR=str(cache / "cache"), **extra)
    return [str(request.getfixturevalue(route))], _offline(home, user, **extra)


TOOL_ROUTES = ["pipx_command", "uv_tool_command", "uvx"]


@pytest.mark.parametrize("route", TOOL_ROUTES)
def test_a_tool_route_examines_the_python3_on_path(request: pytest.FixtureRequest, route: str, user: Path) -> None:
    """Installed as a tool, the command examines the python3 on PATH and names the tool's environment on stderr."""
    prefix, env = _route(request, route, user)
    done = _run([*prefix, "check", "--format", "json", "--no-verify"], env)
    assert _report(done)["python"]["prefix"] == str(user)
    tool = {"pipx_command": "pipx", "uv_tool_command": "uv tool", "uvx": "uvx"}[route]
    assert "the python3 on PATH (not " in done.stderr
    assert "the environment %s made for cadoctor)" % tool in done.stderr


@pytest.mark.parametrize("route", TOOL_ROUTES)
def test_a_tool_route_presents_the_client_certificate(
    request: pytest.FixtureRequest, route: str, user: Path, mtls: tuple[int, Path, Path, Path]
) -> None:
    """--client-cert and --client-key reach the handshake the user's Python makes: the mTLS server accepts it."""
    port, root, cert, key = mtls
    prefix, env = _route(request, route, user, SSL_CERT_FILE=str(root))
    argv = [*prefix, "check", "--format", "json", "--no-verify", "--host", "localhost:%d" % port]
    done = _run([*argv, "--client-cert", str(cert), "--client-key", str(key)], env)
    report = _report(done)
    assert report["python"]["prefix"] == str(user)
    [host] = report["hosts"]
    assert (host["ok"], host["code"]) == (True, None), host
    missing = _run([*argv, "--client-cert", str(cert.with_name("missing.pem"))], env)
    assert missing.returncode == 2, missing.stderr
    assert missing.stdout == ""
    assert "cannot load the client certificate" in missing.stderr


def test_an_app_venv_run_by_path_examines_itself(app_command: Path, user: Path, tmp_path: Path) -> None:
    """`/app/.venv/bin/cadoctor check` examines the app's venv, silently, though another python3 is on PATH."""
    done = _run([str(app_command), "check", "--format", "json", "--no-verify"], _offline(tmp_path, user))
    assert (_report(done)["python"]["prefix"], done.stderr) == (str(app_command.parent.parent), "")
