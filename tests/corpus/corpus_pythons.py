"""The Pythons the corpus examines, built once and cached like tests/artefacts.py's (whose machinery they use).

- the client venvs of tests/artefacts.py (`clients`, `botocore-no-certifi`, `old-pip`, `uv`, `pip-system-certs`,
  `truststore`), and venvs of the versions the threads were about (`requests-2.27`, `pip-system-certs-4`,
  `grpcio-1.60`, `uv-0.8`, `certifi-2018`), and `bare` (no client but the standard library's);
- Debian's own: `debian` is /usr/bin/python3, run in a namespace where Debian's packages, downloaded from the
  mirror with apt-get and unpacked with dpkg-deb (`debian_packages`), sit where apt puts them; `debian-venv*` are
  venvs Debian's python3 makes (pip seeded from python3-pip-whl, patched to the system bundle), then changed;
- `python3.13`: another minor version from pyenv or PATH (tests/conftest.py's `python_or_skip`).

Debian's packages are not installed: /usr/bin/python3 keeps, for every other test, exactly what this machine has.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers import artefacts, environment, venvs
from helpers.interpreters import python_or_skip

DEBIAN_PYTHON = Path("/usr/bin/python3")
TOOL_TIMEOUT = 120.0

CORPUS_VENVS = "corpus-1"
CERTIFI = venvs.CERTIFI
# Client venvs the corpus adds to tests/artefacts.py's: the versions the threads were about.
# (requests 2.32.5 beside pip-system-certs 4: the last requests that installs on every Python the suite runs on.)
EXTRA_VENVS: dict[str, tuple[tuple[str, ...], str]] = {
    "requests-2.27": (("requests==2.27.1", "urllib3==1.26.20", CERTIFI), "import requests"),
    "pip-system-certs-4": (("pip-system-certs==4.0", "requests==2.32.5", CERTIFI), "import requests, pip_system_certs"),
    "grpcio-1.60": (("grpcio==1.60.1",), "import grpc"),
    "certifi-2018": (("certifi==2018.4.16",), "import certifi"),
    "uv-0.8": (("uv==0.8.14",), "import os, sys; assert os.path.exists(os.path.join(sys.prefix, 'bin', 'uv'))"),
}
DEBIAN_VENVS: dict[
    str, tuple[str, ...]
] = {  # venvs of Debian's python3 (pip seeded from python3-pip-whl) and what is added
    "debian-venv": (),
    "debian-venv-pip-24.0": ("pip==24.0",),
    "debian-venv-requests": ("requests==2.34.2", CERTIFI),
}
DEBIAN_PACKAGES = (  # Debian's own clients and what they depend on, downloaded from the mirror apt is configured for
    "python3-certifi",
    "python3-requests",
    "python3-urllib3",
    "python3-idna",
    "python3-chardet",
    "python3-charset-normalizer",
    "python3-six",
    "python3-httplib2",
    "python3-pyparsing",
    "python3-botocore",
    "python3-jmespath",
    "python3-dateutil",
)
APT_UNREACHABLE = ("Temporary failure resolving", "Could not resolve", "Failed to fetch", "Could not connect")
_LOCK = threading.Lock()
_KNOWN: dict[str, str | BaseException] = {}


def _check(code: str) -> tuple[str, ...]:
    """A trial run that imports what the venv is for and prints exactly `ready`."""
    return ("-W", "ignore", "-c", code + "\nprint('ready')")


def _recipe(tool: str, requirements: tuple[str, ...], check: str, **changes: Any) -> artefacts.Recipe:
    """A cached venv of this interpreter with `requirements` (tests/artefacts.py builds and caches it)."""
    recipe = artefacts.Recipe(
        tool=tool,
        version=CORPUS_VENVS,
        requirements=requirements,
        product="venv/bin/python",
        files=(),
        build=None,
        check=_check(check),
    )
    return dataclasses.replace(recipe, **changes)


def debian_minor() -> str:
    """Debian's python3 as `3.11`."""
    if not os.access(DEBIAN_PYTHON, os.X_OK):
        pytest.skip("no %s here (Debian's own Python)" % DEBIAN_PYTHON)
    done = subprocess.run(
        [str(DEBIAN_PYTHON), "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        timeout=TOOL_TIMEOUT,
        check=True,
    )
    return done.stdout.strip()


def _debian_venv(requirements: tuple[str, ...]) -> Callable[[Path, Path, Path], None]:
    """A build step making `debian-venv/` with Debian's python3 (pip from python3-pip-whl), then adding packages."""

    def build(python: Path, directory: Path, log: Path) -> None:
        venv = directory / "debian-venv"
        try:
            artefacts.run_step(
                "debian venv", [str(DEBIAN_PYTHON), "-m", "venv", str(venv)], environment.child_env(), directory, log
            )
        except artefacts.BuildError as exc:
            if "ensurepip" in exc.output:
                pytest.skip("Debian's python3 cannot make a venv here (python3-venv is not installed)")
            raise
        if requirements:
            artefacts.pip_install(venv / "bin" / "python", requirements, environment.index_env(), log)

    return build


def _without_pip(python: Path, directory: Path, log: Path) -> None:
    """Remove pip and setuptools: the venv then holds no TLS client but the standard library's."""
    argv = [str(python), "-m", "pip", "uninstall", "-y", "pip", "setuptools"]
    artefacts.run_step("uninstall pip", argv, environment.index_env(), directory, log)


def _download_debian(python: Path, directory: Path, log: Path) -> None:
    """apt-get download Debian's packages and unpack each with dpkg-deb -x into `root/`, as apt would lay them out."""
    debs, root = directory / "debs", directory / "root"
    debs.mkdir()
    try:
        artefacts.run_step(
            "apt-get download", ["apt-get", "download", *DEBIAN_PACKAGES], environment.child_env(), debs, log
        )
    except artefacts.BuildError as exc:
        reached = [line for line in exc.output.splitlines() if any(marker in line for marker in APT_UNREACHABLE)]
        if reached:
            pytest.skip("Debian's mirror is not reachable: %s" % reached[-1].strip())
        if "Unable to locate package" in exc.output:
            pytest.skip("apt has no package lists here (.ci/run runs apt-get update): %s" % exc.output.strip()[-200:])
        raise
    for deb in sorted(debs.glob("*.deb")):
        artefacts.run_step(
            "dpkg-deb -x", ["dpkg-deb", "-x", str(deb), str(root)], environment.child_env(), directory, log
        )


def _memo(name: str, make: Callable[[], str]) -> str:
    """Build an interpreter at most once per session (and its skip or failure once)."""
    with _LOCK:
        known = _KNOWN.get(name)
        if known is None:
            try:
                known = make()
            except (artefacts.ArtefactError, pytest.skip.Exception) as exc:
                known = exc
            _KNOWN[name] = known
    if isinstance(known, BaseException):
        raise known.with_traceback(None)
    return known


def debian_packages() -> Path:
    """The folder where Debian's packages are unpacked (`usr/lib/python3/dist-packages` inside), cached."""

    def make() -> str:
        if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
            pytest.skip("apt-get and dpkg-deb are needed for Debian's own packages")
        recipe = _recipe(
            "debian-packages",
            ("pip",),
            "",
            files=(("packages.txt", "\n".join(DEBIAN_PACKAGES)),),
            build=_download_debian,
        )
        return str(artefacts.ensure(recipe) / "root")

    return Path(_memo("debian-packages", make))


def interpreter(name: str) -> str:
    """The Python a setup examines and runs its client in, by its name in the data."""

    def make() -> str:
        if name in BUILT_IN:
            return str(BUILT_IN[name]())
        if name == "bare":
            return str(artefacts.ensure(_recipe(name, ("pip",), "import ssl", build=_without_pip)) / "venv/bin/python")
        if name in EXTRA_VENVS:
            requirements, check = EXTRA_VENVS[name]
            return str(artefacts.ensure(_recipe(name, requirements, check)) / "venv" / "bin" / "python")
        if name in DEBIAN_VENVS:
            requirements = DEBIAN_VENVS[name]
            recipe = _recipe(
                name,
                ("pip",),
                "",
                product="debian-venv/bin/python",
                files=(("debian-python.txt", debian_minor()), ("requirements.txt", "\n".join(requirements))),
                build=_debian_venv(requirements),
            )
            return str(artefacts.ensure(recipe) / "debian-venv" / "bin" / "python")
        if name == "debian":
            debian_minor()
            return str(DEBIAN_PYTHON)
        if name.startswith("python"):
            return python_or_skip(name[len("python") :])
        raise ValueError("unknown interpreter %r" % name)

    return _memo(name, make)


BUILT_IN: dict[str, Callable[[], Path]] = {
    "clients": venvs.clients_venv,
    "botocore-no-certifi": venvs.botocore_without_certifi_venv,
    "old-pip": venvs.old_pip_venv,
    "uv": venvs.uv_venv,
    "pip-system-certs": venvs.pip_system_certs_venv,
    "truststore": venvs.truststore_venv,
}
INTERPRETERS = (*BUILT_IN, "bare", *EXTRA_VENVS, *DEBIAN_VENVS, "debian", "python3.13")
