"""The runtime probe: stdlib only, runs unchanged on other interpreters, sees mapped libraries as they are."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ForeignOpenSSL, clean_env, map_files_readable, python_or_skip

from cadoctor._facts.child import probe

PROBE = Path(probe.__file__)
SUPPORTED = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "/usr/bin/python3")


@pytest.mark.parametrize("minor", SUPPORTED)
def test_probe_runs_as_a_script_on_other_interpreters(minor: str) -> None:
    """The probe file runs with -I -S (stdlib only, no site-packages) on every Python >= 3.8 found here."""
    python = minor if minor.startswith("/") else python_or_skip(minor)
    if not os.access(python, os.X_OK):
        pytest.skip("no %s here" % python)
    out = subprocess.run(
        [python, "-I", "-S", str(PROBE)], env=clean_env(), capture_output=True, text=True, timeout=60, check=True
    )
    facts = json.loads(out.stdout)
    assert facts["ssl"]["available"]
    assert any(lib["in_use"] for lib in facts["libraries"]["items"])


def test_deleted_and_second_openssl_are_seen(foreign_openssl: ForeignOpenSSL, tmp_path: Path) -> None:
    """A process whose libcrypto was deleted after loading, and which mapped a second copy, reports both."""
    loaded = tmp_path / "loaded"
    shutil.copytree(foreign_openssl.directory, loaded)
    second = tmp_path / "vendored" / "libcrypto-0123abcd.so.3"
    second.parent.mkdir()
    shutil.copyfile(foreign_openssl.libcrypto, second)
    code = (
        "import ctypes, os, sys, ssl; ctypes.CDLL(sys.argv[2]); os.unlink(sys.argv[1]);"
        "from cadoctor._cli.main import main; sys.exit(main(['check', '--format', 'json', '--no-verify']))"
    )
    env = clean_env(LD_LIBRARY_PATH=str(loaded))
    out = subprocess.run(
        [sys.executable, "-c", code, str(loaded / foreign_openssl.libcrypto.name), str(second)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(out.stdout)
    found = {f["code"]: f for f in report["findings"]}
    assert found["library-deleted"]["evidence"]["path"] == str(loaded / foreign_openssl.libcrypto.name)
    copies = found["multiple-openssl"]["evidence"]["libraries"]
    assert {c["path"] for c in copies} == {str(loaded / foreign_openssl.libcrypto.name), str(second)}
    deleted = foreign_openssl.openssldir if map_files_readable() else None  # its bytes are behind map_files
    assert {c["path"]: c["openssldir"] for c in copies} == {
        str(loaded / foreign_openssl.libcrypto.name): deleted,
        str(second): foreign_openssl.openssldir,
    }


def test_static_build_strings_of_a_non_binary(tmp_path: Path) -> None:
    """Reading build strings from a file that is not a library reports nothing found, without error."""
    path = tmp_path / "text.so"
    path.write_text("hello")
    facts = probe.read_build_strings(str(path))
    assert facts["openssldir"] is None
    assert facts["version"] is None
