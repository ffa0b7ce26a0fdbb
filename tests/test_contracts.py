"""Contracts others build on: public exception types and a warning filter that works as documented."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CHILD_TIMEOUT, WAIT, clean_env, running

import cadoctor

ROOT = Path(__file__).parent.parent


def test_check_raises_the_public_exception_types(tmp_path: Path) -> None:
    """`cadoctor.check()` raises `cadoctor.ProcessError`, `InterpreterError` and `RootError`, all `CheckError`s."""
    with running([sys.executable, "-S", "-c", WAIT], clean_env()) as child, pytest.raises(cadoctor.ProcessError):
        cadoctor.check(pid=child.pid, verify=False)
    with pytest.raises(cadoctor.InterpreterError):
        cadoctor.check(python=str(tmp_path / "nothing"))
    with pytest.raises(cadoctor.RootError):
        cadoctor.check(root=str(tmp_path / "nothing"))
    for name in ("InterpreterError", "ProcessError", "RootError"):
        assert issubclass(getattr(cadoctor, name), cadoctor.CheckError)
    with pytest.raises(cadoctor.ClientCertificateError):
        cadoctor.check(hosts=["localhost:1"], client_cert=str(tmp_path / "nothing.pem"))


def test_public_names_are_all_importable() -> None:
    """Every name in `cadoctor.__all__` resolves, and each exception is documented in docs/api.md."""
    page = (ROOT / "docs" / "api.md").read_text()
    for name in cadoctor.__all__:
        value = getattr(cadoctor, name)
        if isinstance(value, type) and issubclass(value, BaseException):
            assert "`cadoctor.%s`" % name in page, name


def test_documented_warning_filter_works() -> None:
    """The code docs/api.md gives to turn TrustPathWarning into an error makes a broken trust path raise at import."""
    page = (ROOT / "docs" / "api.md").read_text()
    section = page[page.index("## `cadoctor.TrustPathWarning`") :]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert code is not None
    broken = clean_env(SSL_CERT_FILE="/nonexistent/cadoctor-test.pem", CADOCTOR_SELFCHECK="warn")
    done = subprocess.run(
        [sys.executable, "-c", code.group(1)], env=broken, capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith("cadoctor.TrustPathWarning: cadoctor selfcheck: env-path-invalid")
    healthy = subprocess.run([sys.executable, "-c", code.group(1)], env=clean_env(), timeout=CHILD_TIMEOUT)
    assert healthy.returncode == 0
