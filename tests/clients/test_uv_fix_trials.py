"""A fix for uv is tried by uv itself: the binary its distribution names, one download from the host, no writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import venvs
from helpers.environment import child_env
from helpers.pki import GeneratedCA
from helpers.records import host, with_clients

from cadoctor._fixes.verify import verify
from cadoctor._model import Fix, HostCheck

pytestmark = [pytest.mark.slow, pytest.mark.index]  # uv 0.13.9 from PyPI, built once


def _host(port: int) -> HostCheck:
    """The module's loopback server, as a check would have met it."""
    return host(None, host="localhost", port=port, server_name="localhost", target="localhost:%d" % port)


def _tried(env: dict[str, str | None], clients: tuple[str, ...], port: int, **environment: str) -> Fix:
    """An env fix for `clients`, tried in a fresh child of the uv venv's Python with `environment` added."""
    python: Path = venvs.uv_venv()
    fix = Fix("env", "a fix", ("client-host-fails",), env=env, clients=clients, trial_host=_host(port))
    (tried,) = verify(
        (fix,), with_clients(("uv", "0.13.9")), executable=str(python), environment=child_env(**environment)
    )
    return tried


def test_a_file_holding_the_root_is_shown_to_work_by_uv_itself(ca: GeneratedCA, port: int) -> None:
    """SSL_CERT_FILE names the root: uv's own download from the host succeeds, and the fix is verified by it."""
    tried = _tried({"SSL_CERT_FILE": str(ca.bundle)}, ("uv",), port)
    assert tried.verified is True, tried.evidence
    (trial,) = tried.trials
    assert (trial.client, trial.verified, trial.through) == ("uv", True, "uv 0.13.9")
    assert trial.detail.startswith("the host answered")


def test_a_switch_that_leaves_an_empty_ssl_cert_file_in_place_is_shown_not_to_work(port: int) -> None:
    """UV_SYSTEM_CERTS with SSL_CERT_FILE='' left set: uv refuses to start, and its trial says the fix failed."""
    tried = _tried({"UV_NATIVE_TLS": "1"}, ("uv",), port, SSL_CERT_FILE="", UV_SYSTEM_CERTS="1")
    assert tried.verified is False, tried.evidence
    assert "No CA certificates were loaded from the system" in tried.trials[0].detail


def test_a_client_whose_library_does_not_import_does_not_hold_the_fix_back(ca: GeneratedCA, port: int) -> None:
    """requests is not installed in the uv venv: its trial says so, and uv's success alone verifies the fix."""
    tried = _tried({"SSL_CERT_FILE": str(ca.bundle)}, ("requests", "uv"), port)
    assert tried.verified is True, tried.evidence
    absent, uv = tried.trials
    assert (absent.client, absent.verified, absent.absent) == ("requests", None, True)
    assert "does not import here" in absent.detail
    assert (uv.client, uv.verified) == ("uv", True)


def test_a_client_tried_through_a_library_that_does_not_import_is_absent_with_it(ca: GeneratedCA, port: int) -> None:
    """azure-core calls requests, which is not installed: both are absent, and uv's success alone verifies the fix."""
    python: Path = venvs.uv_venv()
    fix = Fix(
        "env",
        "a fix",
        ("client-host-fails",),
        env={"SSL_CERT_FILE": str(ca.bundle)},
        clients=("requests", "azure-core", "uv"),
        trial_host=_host(port),
    )
    examined = with_clients(("uv", "0.13.9"), ("requests", "2.32.3"), ("azure-core", "1.30.0"))
    (tried,) = verify((fix,), examined, executable=str(python), environment=child_env())
    assert tried.verified is True, tried.evidence
    requests, azure, uv = tried.trials
    assert [(t.client, t.verified, t.absent) for t in (requests, azure)] == [
        ("requests", None, True),
        ("azure-core", None, True),
    ]
    assert str(azure.through).endswith("(as requests)")
    assert (uv.client, uv.verified) == ("uv", True)
