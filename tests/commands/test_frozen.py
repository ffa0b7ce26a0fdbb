"""Frozen applications under --pid: judged by what their own ssl does, not as a Python with site-packages."""

from __future__ import annotations

import sys

import pytest
from helpers import artefacts, os_store
from helpers.environment import child_env
from helpers.pki import GeneratedCA
from helpers.runs import check_json, codes

pytestmark = [
    pytest.mark.index,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="--pid reads Linux's /proc"),
]


def test_a_pyinstaller_app_with_identical_copies_gets_no_override_warning() -> None:
    """PyInstaller's _internal/libcrypto is the host's, byte for byte: no library-override, no clients from the host."""
    with artefacts.start([artefacts.pyinstaller_app()], child_env()) as app:
        _, report = check_json(child_env(), "--pid", str(app.pid), "--no-verify")
    assert "library-override" not in codes(report)
    assert "frozen" in report["python"]["hints"]
    assert [c["name"] for c in report["clients"]] == ["urllib (stdlib)"]  # its modules are in its archive


def test_a_cx_freeze_app_is_judged_by_what_its_frozen_ssl_reads() -> None:
    """cx_Freeze 8 sets SSL_CERT_FILE to share/certs.pem inside the process: not 'trusts nothing'.

    cx_Freeze 7 (the one for Python 3.9) ships no certs.pem: its libcrypto's build-machine OPENSSLDIR is all.
    """
    if not (artefacts.cx_freeze_app().parent / "share" / "certs.pem").exists():
        with artefacts.start([artefacts.cx_freeze_app()], child_env()) as app:
            _, report = check_json(child_env(), "--pid", str(app.pid), "--no-verify")
        assert "trust-store-empty" in codes(report, "error")
        assert "frozen" in report["python"]["hints"]
        return
    with artefacts.start([artefacts.cx_freeze_app()], child_env()) as app:
        _, report = check_json(child_env(), "--pid", str(app.pid), "--no-verify")
    assert "trust-store-empty" not in codes(report)
    assert report["verify_paths"]["cafile"]["path"].endswith("/share/certs.pem")
    (issue,) = [f for f in report["findings"] if f["evidence"].get("distribution") == "cx_freeze"]
    assert "OS store is never read" in issue["summary"]


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_a_cx_freeze_app_lacking_a_local_root_is_told_to_use_the_system_store(ca: GeneratedCA) -> None:
    """A root added to the system store: the app's snapshot lacks it, a warning names it, SSL_CERT_FILE is proposed."""
    if not (artefacts.cx_freeze_app().parent / "share" / "certs.pem").exists():
        pytest.skip("this cx_Freeze (before 8) copies no certs.pem into the app")
    with os_store.os_store_with(ca.bundle, anchors=True) as store:  # noqa: SIM117 (Python 3.9: no parentheses)
        with artefacts.start([*store.prefix, artefacts.cx_freeze_app()], child_env()) as app:
            _, report = check_json(child_env(), "--pid", str(app.pid), "--no-verify")
    (issue,) = [f for f in report["findings"] if f["evidence"].get("distribution") == "cx_freeze"]
    assert issue["severity"] == "warning"
    assert ca.name in issue["summary"]
    assert any(f["env"] == {"SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt"} for f in report["fixes"])
