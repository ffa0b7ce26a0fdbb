"""Fixtures, markers and hooks; every helper they use lives in `helpers/` (imported as `helpers.<module>`)."""

from __future__ import annotations

import contextlib
import os
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import images, venvs
from helpers.clients import Measurements
from helpers.environment import child_env
from helpers.openssl import ForeignOpenSSL, foreign_copy
from helpers.os_store import system_bundle_or_skip
from helpers.pki import GeneratedCA, make_ca
from helpers.servers import serve_clients, serve_tls


def pytest_report_header() -> list[str]:
    """Show the trust path the tests run against."""
    return ["openssl: %s; verify paths: %s" % (ssl.OPENSSL_VERSION, ssl.get_default_verify_paths())]


def pytest_configure(config: pytest.Config) -> None:
    """The fix trials cadoctor keeps between checks go to this session's own folder, removed at its end.

    No test is then served an answer kept by another run, and none is left in the user's home; each child gets it
    from `child_env`. A test of the kept answers themselves names a folder of its own.
    """
    import atexit
    import shutil
    import tempfile

    if not os.environ.get("CADOCTOR_CACHE"):
        folder = tempfile.mkdtemp(prefix="cadoctor-test-cache-")
        os.environ["CADOCTOR_CACHE"] = folder
        atexit.register(shutil.rmtree, folder, True)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip a test marked `root` when this user is not root, saying what it needs root for."""
    needs = item.get_closest_marker("root")
    if needs is not None and os.geteuid() != 0:
        pytest.skip("needs root: %s" % (needs.args[0] if needs.args else "run as root"))


@pytest.fixture(scope="session")
def foreign_openssl(tmp_path_factory: pytest.TempPathFactory) -> ForeignOpenSSL:
    """A copy of the system libcrypto whose OPENSSLDIR names a directory that does not exist."""
    return foreign_copy(tmp_path_factory.mktemp("foreign-openssl"))


@pytest.fixture(scope="session")
def pip_conf(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A pip.conf naming the system bundle, for the tests that expect this interpreter to be healthy.

    The test venv's pip may be older than 24.2 (ensurepip's is), which trusts its own certifi alone and so lacks
    the roots an administrator added here: this host's /etc/pip.conf hid that, and no child reads it any more.
    """
    path = tmp_path_factory.mktemp("pip") / "pip.conf"
    path.write_text("[global]\ncert = %s\n" % system_bundle_or_skip())
    return str(path)


@pytest.fixture
def in_process_env(monkeypatch: pytest.MonkeyPatch, pip_conf: str) -> dict[str, str]:
    """This process's environment made exactly a healthy child's, for the API called in-process; restored after."""
    env = child_env(PIP_CONFIG_FILE=pip_conf)
    for name in list(os.environ):
        if name not in env and not name.startswith("PYTEST_"):  # pytest's own variables stay
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def test_ca(tmp_path: Path) -> GeneratedCA:
    """A fresh CA for this test."""
    return make_ca(tmp_path / "ca")


@pytest.fixture
def tls_server(test_ca: GeneratedCA) -> Iterator[int]:
    """A TLS server on 127.0.0.1 presenting a certificate from the test CA; yields its port."""
    with serve_tls(test_ca) as port:
        yield port


@pytest.fixture(scope="module")
def ca(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> GeneratedCA:
    """A private root that no store on the host holds, one per test module and named after it."""
    module = request.module.__name__.rpartition(".")[2].removeprefix("test_")
    return make_ca(tmp_path_factory.mktemp(module + "-ca"), "cadoctor %s Root" % module.replace("_", " ").title())


@pytest.fixture(scope="module")
def port(ca: GeneratedCA) -> Iterator[int]:
    """A loopback server for the client tests (HTTP/1.1 404, gRPC UNIMPLEMENTED) presenting a leaf from `ca`."""
    with serve_clients(ca.cert, ca.key) as port:
        yield port


@pytest.fixture(scope="session")
def clients_python() -> Path:
    """The interpreter of the venv with the real clients from PyPI (built once, from the package index)."""
    return venvs.clients_venv()


@pytest.fixture(scope="session")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Measurements]:
    """The real clients' verdicts on one loopback server and its private root, each measured once per session."""
    ca = make_ca(tmp_path_factory.mktemp("truth-ca"), "cadoctor Client Truth Root")
    with contextlib.ExitStack() as stack:
        port = stack.enter_context(serve_clients(ca.cert, ca.key))
        yield Measurements(ca, port, tmp_path_factory.mktemp("truth"), stack)


@pytest.fixture
def image_copies(tmp_path: Path) -> Iterator[Path]:
    """A folder for a test's copies of the Debian test images (tests/images), removed after it: each is 280 MB."""
    folder = tmp_path / "images"
    folder.mkdir()
    yield folder
    images.discard(folder)
