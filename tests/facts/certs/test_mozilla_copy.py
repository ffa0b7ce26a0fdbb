"""The yardstick of public roots is a real copy of Mozilla's set, never the store a patched certifi names."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import util
from pathlib import Path

import pytest

import cadoctor

CHILD_TIMEOUT = 120
PATCHED = "def where():\n    return '/etc/ssl/certs/ca-certificates.crt'\n\ndef contents():\n    return ''\n"


def _venv_with_certifi(top: Path, how: str) -> tuple[str, Path]:
    """A venv of this interpreter holding a copy of the tests' certifi: as it is, patched, or without its file."""
    venv = [sys.executable, "-m", "venv", "--without-pip", str(top / "venv")]
    subprocess.run(venv, check=True, timeout=CHILD_TIMEOUT)
    site = next((top / "venv").glob("lib/python3*/site-packages"))
    spec = util.find_spec("certifi")
    assert spec is not None
    assert spec.submodule_search_locations
    shutil.copytree(next(iter(spec.submodule_search_locations)), site / "certifi")
    if how == "patched":
        (site / "certifi" / "core.py").write_text(PATCHED)
    elif how == "deleted":
        (site / "certifi" / "cacert.pem").unlink()
    return str(top / "venv" / "bin" / "python"), site / "certifi"


def _own_certifi() -> str:
    """The cacert.pem of cadoctor's own certifi (upstream's, in the tests' environment)."""
    spec = util.find_spec("certifi")
    assert spec is not None
    assert spec.submodule_search_locations
    return str(Path(next(iter(spec.submodule_search_locations))) / "cacert.pem")


@pytest.mark.parametrize("how", ["upstream", "patched", "deleted"])
def test_the_public_roots_are_judged_by_a_real_copy_of_mozillas_set(tmp_path: Path, how: str) -> None:
    """Upstream certifi's own file is the yardstick; a patched certifi's OS bundle, or a gone file, is not."""
    python, package = _venv_with_certifi(tmp_path, how)
    facts = cadoctor.check(python=python, verify=False).facts
    named = "/etc/ssl/certs/ca-certificates.crt" if how == "patched" else str(package / "cacert.pem")
    assert facts.runtime.certifi == named
    assert facts.mozilla == (named if how == "upstream" else _own_certifi())
    roles = {b.path: b.roles for b in facts.bundles}
    assert ("certifi-where" if how == "patched" else "certifi") in roles[named]
