"""Venvs of real TLS client libraries and native stacks from PyPI, built and cached as the other artefacts are.

Each is a venv of this interpreter whose product is its `bin/python`; the trial run imports what it must (and,
for the certifi-less venv, proves certifi is not importable) and prints `ready`. Pins are per Python minor
version, because several current releases have dropped 3.9 or 3.10 (requests >= 2.33, pip >= 26.1, websockets
17, botocore 1.43+, pip-system-certs 5); a minor newer than the table uses its newest row. The newest row is the
set of versions that CLIENTS.md measured, so ground-truth tests there run the very versions that the table names.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from helpers.artefacts import Recipe, built, run_step
from helpers.environment import index_env

CLIENTS_VENV = "1"  # the client venvs' own recipe version (the pins are in the recipe digest anyway)
CERTIFI = "certifi==2026.10.19.post1"
CLIENT_PINS: dict[tuple[int, int], tuple[str, ...]] = {
    (3, 9): (
        "requests==2.32.5",  # 2.33+ needs Python 3.10
        "httpx==0.28.1",
        "urllib3==1.26.20",  # botocore requires urllib3<1.27 on Python < 3.10
        CERTIFI,
        "botocore==1.42.97",
        "grpcio==1.80.1",
        "httplib2==0.32.1",
        "aiohttp==3.13.5",
        "websockets==15.0.1",
        "tornado==6.5.10",
        "google-auth==2.50.0",
        "azure-core==1.39.0",
        "pymongo==4.18.3",
        "redis==7.0.1",
        "pip==26.0.1",  # 26.1+ needs Python 3.10
    ),
    (3, 10): (
        "requests==2.34.2",
        "httpx==0.28.1",
        "urllib3==2.8.0",
        CERTIFI,
        "botocore==1.44.8",
        "grpcio==1.85.3",
        "httplib2==0.32.1",
        "aiohttp==3.14.5",
        "websockets==16.1.1",  # 17 needs Python 3.11
        "tornado==6.5.10",  # 6.6 needs Python 3.11
        "google-auth==2.63.0",
        "azure-core==1.41.0",
        "pymongo==4.18.3",  # 4.19+ needs Python 3.11
        "redis==8.1.0",
        "pip==26.3",
    ),
    (3, 11): (  # the versions CLIENTS.md measured
        "requests==2.34.2",
        "httpx==0.28.1",
        "urllib3==2.8.0",
        CERTIFI,
        "botocore==1.44.8",
        "grpcio==1.85.3",
        "httplib2==0.32.1",
        "aiohttp==3.14.5",
        "websockets==17.4",
        "tornado==6.6.1",
        "google-auth==2.63.0",
        "azure-core==1.41.0",
        "pymongo==4.20.1",
        "redis==8.1.0",
        "pip==26.3",
    ),
}
BOTOCORE_PINS: dict[tuple[int, int], tuple[str, ...]] = {
    (3, 9): ("botocore==1.42.97",),
    (3, 10): ("botocore==1.44.8",),
}
OLD_PIP = "24.1.2"  # the last pip whose default trust is its vendored certifi alone (24.2 added truststore)
PIP_SYSTEM_CERTS_PINS: dict[tuple[int, int], tuple[str, ...]] = {
    (3, 10): ("pip-system-certs==5.3", "requests==2.34.2", "pip==26.3"),  # 5.x needs Python 3.10
}
STACK_PINS: dict[tuple[int, int], tuple[str, ...]] = {  # wheels that carry their own OpenSSL (or link one in)
    (3, 9): (
        "psycopg2-binary==2.9.12",
        "pycurl==7.45.7",
        "confluent-kafka==2.16.1",
        "mysql-connector-python==9.4.0",
    ),
    (3, 11): (
        "psycopg2-binary==2.9.13",
        "pycurl==7.49.0",
        "confluent-kafka==2.16.1",
        "mysql-connector-python==26.10.0",
    ),
}
OLD_LIBPQ = "psycopg2-binary==2.9.6"  # libpq 15 (OpenSSL 1.1): before sslrootcert=system existed
TRUSTSTORE_PINS: dict[tuple[int, int], tuple[str, ...]] = {
    (3, 10): ("truststore==0.10.5", "requests==2.34.2", "httpx==0.28.1", CERTIFI),  # truststore needs Python 3.10
}

CLIENTS_CHECK = """\
import aiohttp, azure.core, botocore.httpsession, certifi, google.auth, grpc, httplib2, httpx, pip, pymongo, redis
import requests, tornado.httpclient, urllib3, websockets
print("ready")
"""
BOTOCORE_CHECK = """\
import importlib.util
import botocore.httpsession
assert importlib.util.find_spec("certifi") is None, "certifi is importable"
assert botocore.httpsession.where().endswith("botocore/cacert.pem"), botocore.httpsession.where()
print("ready")
"""
OLD_PIP_CHECK = """\
import pip
assert pip.__version__ == "OLD_PIP", pip.__version__
print("ready")
""".replace("OLD_PIP", OLD_PIP)
STACKS_CHECK = """\
import importlib.util
import confluent_kafka, psycopg2, pycurl
assert importlib.util.find_spec("pip") is None, "pip is still installed"
print("ready")
"""
OLD_LIBPQ_CHECK = """\
import psycopg2
assert psycopg2.__libpq_version__ // 10000 == 15, psycopg2.__libpq_version__
print("ready")
"""
UV_CHECK = """\
import os, sys
assert os.access(os.path.join(os.path.dirname(sys.executable), "uv"), os.X_OK), "no uv binary beside python"
print("ready")
"""
TRUSTSTORE_CHECK = """\
import httpx, requests, truststore
print("ready")
"""
GOOGLE_AUTH_PINS: dict[tuple[int, int], tuple[str, ...]] = {
    (3, 9): ("google-auth==2.50.0", "urllib3==2.6.3", "packaging==25.0", "requests==2.32.5", CERTIFI),
    (3, 10): ("google-auth==2.63.0", "urllib3==2.8.0", "packaging==25.0", "requests==2.34.2", CERTIFI),
}
GOOGLE_AUTH_CHECK = """\
import google.auth.transport.requests, google.auth.transport.urllib3, certifi
print("ready")
"""
PIP_SYSTEM_CERTS_CHECK = """\
import ssl
import requests
assert "truststore" in ssl.SSLContext.__module__, "pip-system-certs did not inject truststore: %s" % ssl.SSLContext
print("ready")
"""


# pip-system-certs before 5 patches requests alone (httpx and botocore keep their stores), beside a pip that vendors
# no truststore yet (23.2.1: PIP_USE_FEATURE=truststore stops it unless truststore is installed)
OLD_PIP_SYSTEM_CERTS_PINS: dict[tuple[int, int], tuple[str, ...]] = {
    (3, 10): (
        "pip-system-certs==4.0",
        "requests==2.34.2",
        "httpx==0.28.1",
        "botocore==1.44.8",
        CERTIFI,
        "pip==23.2.1",
    ),
}
OLD_PIP_SYSTEM_CERTS_CHECK = """\
import botocore.httpsession, httpx, pip, pip_system_certs, requests
assert pip.__version__ == "23.2.1", pip.__version__
print("ready")
"""


def pins_for(table: Mapping[tuple[int, int], tuple[str, ...]], what: str) -> tuple[str, ...]:
    """The row of `table` for this Python: its own minor, else the newest older one; skip below the oldest."""
    usable = [version for version in table if version <= sys.version_info[:2]]
    if not usable:
        oldest = min(table)
        pytest.skip("%s needs Python %d.%d or later" % (what, *oldest))
    return table[max(usable)]


def _venv_recipe(tool: str, requirements: tuple[str, ...], check: str) -> Recipe:
    """A venv with `requirements`, whose product is its python and whose trial run is `python -W ignore -c check`."""
    return Recipe(
        tool=tool,
        version=CLIENTS_VENV,
        requirements=requirements,
        product="venv/bin/python",
        files=(),
        build=None,
        check=("-W", "ignore", "-c", check),  # quiet: old Pythons get deprecation warnings on stderr (= output)
    )


def clients_venv() -> Path:
    """The python of a venv with the common TLS clients (requests, httpx, urllib3, botocore, grpcio, aiohttp, ...).

    certifi is installed, so botocore and httplib2 use certifi's bundle here (CLIENTS.md rows `+certifi`).
    """
    recipe = _venv_recipe("clients", pins_for(CLIENT_PINS, "the clients venv"), CLIENTS_CHECK)
    return built(recipe) / recipe.product


def botocore_without_certifi_venv() -> Path:
    """The python of a venv with botocore and its dependencies only: certifi is not importable there."""
    recipe = _venv_recipe("botocore-no-certifi", pins_for(BOTOCORE_PINS, "botocore"), BOTOCORE_CHECK)
    return built(recipe) / recipe.product


def old_pip_venv() -> Path:
    """The python of a venv whose pip is 24.1.2 (vendored certifi only; truststore only on request)."""
    recipe = _venv_recipe("old-pip", ("pip==%s" % OLD_PIP,), OLD_PIP_CHECK)
    return built(recipe) / recipe.product


def _without_pip(python: Path, directory: Path, log: Path) -> None:
    """Remove pip and setuptools: the venv then holds no Python TLS client, only the native stacks."""
    run_step(
        "uninstall pip", [str(python), "-m", "pip", "uninstall", "-y", "pip", "setuptools"], index_env(), directory, log
    )


def stacks_venv() -> Path:
    """The python of a venv with psycopg2-binary, pycurl, confluent-kafka and mysql-connector-python, and no pip.

    Each wheel brings its own OpenSSL: libpq's libcrypto (OPENSSLDIR /host/tmp/libpq.build), pycurl's, OpenSSL
    linked into librdkafka, and mysql's `mysql/vendor/libcrypto.so.3`, which takes over `ssl` when imported first.
    """
    recipe = replace(
        _venv_recipe("native-stacks", pins_for(STACK_PINS, "the native stacks venv"), STACKS_CHECK),
        build=_without_pip,
    )
    return built(recipe) / recipe.product


def old_libpq_venv() -> Path:
    """The python of a venv with psycopg2-binary 2.9.6, whose libpq 15 takes sslrootcert=system as a file name."""
    recipe = _venv_recipe("old-libpq", (OLD_LIBPQ,), OLD_LIBPQ_CHECK)
    return built(recipe) / recipe.product


def uv_venv() -> Path:
    """The python of a venv with uv 0.13.9 from PyPI (its binary beside python): the version CLIENTS.md measured."""
    recipe = _venv_recipe("uv", ("uv==0.13.9",), UV_CHECK)
    return built(recipe) / recipe.product


def truststore_venv() -> Path:
    """The python of a venv with truststore installed (not injected), requests and httpx: its code fix can be tried."""
    recipe = _venv_recipe("truststore", pins_for(TRUSTSTORE_PINS, "truststore"), TRUSTSTORE_CHECK)
    return built(recipe) / recipe.product


def google_auth_venv() -> Path:
    """The python of a venv with google-auth and both its transports (urllib3 with packaging, requests), certifi."""
    recipe = _venv_recipe("google-auth", pins_for(GOOGLE_AUTH_PINS, "google-auth"), GOOGLE_AUTH_CHECK)
    return built(recipe) / recipe.product


def pip_system_certs_venv() -> Path:
    """The python of a venv with pip-system-certs 5.x and requests: its `.pth` injects truststore at every start."""
    requirements = pins_for(PIP_SYSTEM_CERTS_PINS, "pip-system-certs 5")
    recipe = _venv_recipe("pip-system-certs", requirements, PIP_SYSTEM_CERTS_CHECK)
    return built(recipe) / recipe.product


def old_pip_system_certs_venv() -> Path:
    """The python of a venv with pip-system-certs 4.0, requests, httpx, botocore and pip 23.2.1."""
    requirements = pins_for(OLD_PIP_SYSTEM_CERTS_PINS, "pip-system-certs 4 with requests 2.34")
    recipe = _venv_recipe("pip-system-certs-4", requirements, OLD_PIP_SYSTEM_CERTS_CHECK)
    return built(recipe) / recipe.product


# the AWS CLI v1 from PyPI: `aws configure set`, the tool a config fix may print (1.44.87: the last for Python 3.9)
AWSCLI = "awscli==1.46.2" if sys.version_info >= (3, 10) else "awscli==1.44.87"
AWSCLI_CHECK = """\
import os, sys
assert os.access(os.path.join(os.path.dirname(sys.executable), "aws"), os.X_OK), "no aws beside python"
print("ready")
"""


def awscli_venv() -> Path:
    """The python of a venv with the AWS CLI (`python -m awscli`): it edits ~/.aws/config itself."""
    recipe = _venv_recipe("awscli", (AWSCLI,), AWSCLI_CHECK)
    return built(recipe) / recipe.product


PIPX = "pipx==1.18.4" if sys.version_info >= (3, 11) else "pipx==1.11.1"  # the newest for Pythons before 3.11
# What installing cadoctor from a checkout fetches: the build backend, the dependencies, and what pipx puts in
# its shared venv. Downloaded once, so that the README's install commands run offline (PIP_NO_INDEX).
WHEELHOUSE = ("hatchling", "certifi", "cryptography", "psutil", "rich", "typer", "pip", "setuptools", "wheel")
PIPX_CHECK = """\
import os, sys
assert os.access(os.path.join(os.path.dirname(sys.executable), "pipx"), os.X_OK), "no pipx beside python"
print("ready")
"""


def _download_wheelhouse(python: Path, directory: Path, log: Path) -> None:
    """Download every wheel the README's install routes need into `wheelhouse/`."""
    argv = [str(python), "-m", "pip", "download", "--only-binary=:all:", "-d", str(directory / "wheelhouse")]
    run_step("pip download", [*argv, *WHEELHOUSE], index_env(), directory, log)


def install_tools_venv() -> tuple[Path, Path]:
    """The python of a venv with pipx from PyPI, and a wheelhouse from which cadoctor installs without an index."""
    recipe = replace(
        _venv_recipe("install-routes", (PIPX,), PIPX_CHECK),
        files=(("wheelhouse.txt", "\n".join(WHEELHOUSE)),),  # in the digest: another list downloads afresh
        build=_download_wheelhouse,
    )
    directory = built(recipe)
    return directory / recipe.product, directory / "wheelhouse"


ANSIBLE_PINS: dict[tuple[int, int], tuple[str, ...]] = {
    (3, 9): ("ansible-core==2.15.13",),  # the last ansible-core whose controller runs on Python 3.9
    (3, 10): ("ansible-core==2.17.14",),
    (3, 11): ("ansible-core==2.19.14",),
}
ANSIBLE_CHECK = """\
import os, sys
assert os.access(os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), os.X_OK), "no ansible-playbook"
print("ready")
"""


def ansible_venv() -> Path:
    """The python of a venv with ansible-core from PyPI (ansible-playbook beside it), for the fleet recipe."""
    recipe = _venv_recipe("ansible", pins_for(ANSIBLE_PINS, "ansible-core"), ANSIBLE_CHECK)
    return built(recipe) / recipe.product


# Clients whose context flags changed in a release: urllib3 copies Python 3.13's default flags from 2.3, httpx builds
# its context with ssl.create_default_context from 0.28 (tests/clients/test_verify_flags.py).
OLD_FLAGS_PINS = ("requests==2.32.3", "urllib3==2.2.3", "httpx==0.27.2", CERTIFI)
OLD_FLAGS_CHECK = """\
import httpx, requests, urllib3
assert urllib3.__version__ == "2.2.3" and httpx.__version__ == "0.27.2", (urllib3.__version__, httpx.__version__)
print("ready")
"""


def venv_on(minor: str, tool: str, requirements: tuple[str, ...], check: str) -> Path:
    """The python of a venv that another CPython on this machine (`3.13`) makes, with `requirements` from PyPI.

    Python 3.13's default context verifies with other flags than older ones: what a client does on it is measured
    there, whatever interpreter runs the suite. Skips where that Python is not here.
    """
    from helpers.artefacts import pip_install
    from helpers.interpreters import python_or_skip

    other = python_or_skip(minor)

    def build(python: Path, directory: Path, log: Path) -> None:
        venv = directory / "other"
        run_step("venv", [other, "-m", "venv", str(venv)], index_env(), directory, log)
        pip_install(venv / "bin" / "python", requirements, index_env(), log)

    recipe = Recipe(
        tool="%s-on-%s" % (tool, minor),
        version=CLIENTS_VENV,
        requirements=("pip",),
        product="other/bin/python",
        files=(("requirements.txt", "\n".join((other, *requirements))),),  # in the digest: another set builds afresh
        build=build,
        check=("-W", "ignore", "-c", check),
    )
    return built(recipe) / recipe.product


def clients_venv_on(minor: str) -> Path:
    """The python of a venv of CPython `minor` with the clients CLIENTS.md measured (the newest pins)."""
    return venv_on(minor, "clients", CLIENT_PINS[max(CLIENT_PINS)], CLIENTS_CHECK)


def old_flags_venv_on(minor: str) -> Path:
    """The python of a venv of CPython `minor` with urllib3 2.2 and httpx 0.27: contexts without 3.13's flags."""
    return venv_on(minor, "old-flags", OLD_FLAGS_PINS, OLD_FLAGS_CHECK)
