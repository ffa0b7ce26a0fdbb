"""`cadoctor check --python`: another interpreter probed for real, its facts diagnosed here, its fixes tried there."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.interpreters import marker_script, misbehaving_python, python_or_skip
from helpers.openssl import ForeignOpenSSL
from helpers.os_store import system_bundle_or_skip
from helpers.pki import GeneratedCA
from helpers.runs import check_json, codes, exit_for, run_cadoctor

from cadoctor import check

SYSTEM_PYTHON = "/usr/bin/python3"


def _ask(python: str, code: str) -> str:
    """What an interpreter prints for a line of code, in a clean environment."""
    return subprocess.run(
        [python, "-c", code], env=child_env(), capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()


def test_the_system_interpreter_is_described_as_it_sees_itself() -> None:
    """--python /usr/bin/python3 reports that interpreter's version, executable and OpenSSL, not this one's."""
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        pytest.skip("no %s here" % SYSTEM_PYTHON)
    status, report = check_json(child_env(), "--python", SYSTEM_PYTHON, "--no-verify")
    assert status == exit_for(report)
    assert report["python"]["executable"] == _ask(SYSTEM_PYTHON, "import sys; print(sys.executable)")
    assert report["python"]["version"] == _ask(SYSTEM_PYTHON, "import sys; print('%d.%d.%d' % sys.version_info[:3])")
    assert report["ssl"]["openssl_version"] == _ask(SYSTEM_PYTHON, "import ssl; print(ssl.OPENSSL_VERSION)")
    certifi = _ask(SYSTEM_PYTHON, "import importlib.util as u; s = u.find_spec('certifi'); print(s is not None)")
    assert any("certifi" in b["roles"] for b in report["bundles"]) == (certifi == "True")


def test_a_venv_without_cadoctor_is_probed(tmp_path: Path) -> None:
    """A bare Python 3.8 venv (no cadoctor, no pip, no certifi) is probed, and named as a venv."""
    base = python_or_skip("3.8")
    venv = tmp_path / "venv"
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120, env=child_env())
    python = str(venv / "bin" / "python")
    alone = subprocess.run([python, "-c", "import cadoctor"], capture_output=True, env=child_env(), cwd=tmp_path)
    assert alone.returncode != 0
    status, report = check_json(child_env(), "--python", python)
    assert status == exit_for(report)
    assert report["python"]["version"].startswith("3.8.")
    assert "venv" in report["python"]["hints"]
    assert not any("certifi" in b["roles"] for b in report["bundles"])


def test_fixes_are_tried_in_the_examined_interpreter(foreign_openssl: ForeignOpenSSL) -> None:
    """On the foreign libcrypto, --python finds the empty trust store and verifies the env fix with that interpreter."""
    python = python_or_skip("3.12")
    system_bundle = system_bundle_or_skip()
    status, report = check_json(child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory)), "--python", python)
    assert status == 1
    assert report["python"]["version"].startswith("3.12.")
    assert "trust-store-empty" in codes(report, "error")
    in_use = [lib for lib in report["libraries"] if lib["in_use"]]
    assert [lib["path"] for lib in in_use] == [str(foreign_openssl.libcrypto)]
    first = report["fixes"][0]
    assert (first["env"], first["verified"]) == ({"SSL_CERT_FILE": system_bundle}, True)
    assert first["evidence"].startswith("in a fresh %s the context loaded" % python)


def _plain_file(tmp: Path) -> str:
    """A file that exists but is no program."""
    path = tmp / "python"
    path.write_text("not a program\n")
    return str(path)


def _fifo(tmp: Path) -> str:
    """A FIFO named like an interpreter: opening it for reading would block."""
    path = tmp / "python3"
    os.mkfifo(path)
    return str(path)


def _libpython(tmp: Path) -> str:
    """This interpreter's libpython, an ELF shared object with CPython's entry point, but no program."""
    found = Path(sysconfig.get_config_var("LIBDIR") or "/") / (sysconfig.get_config_var("LDLIBRARY") or "-")
    if not found.name.endswith(".so") or not found.exists():
        pytest.skip("this interpreter has no shared libpython")
    return str(found)


NOT_PROVEN: dict[str, tuple[Callable[[Path], str], str]] = {
    "missing": (lambda tmp: str(tmp / "nowhere" / "python"), "no such file"),
    "empty": (lambda tmp: "", "an empty path: name an interpreter"),
    "directory": (lambda tmp: str(tmp), "a directory, not an interpreter"),
    "not-a-program": (_plain_file, "not a program (neither ELF, Mach-O nor PE)"),
    "false": (lambda tmp: "/bin/false", "neither needs libpython nor carries CPython's entry point"),
    "script": (lambda tmp: marker_script(tmp / "venv" / "bin" / "python3", tmp / "ran"), "a script (#!/bin/sh)"),
    "fifo": (_fifo, "not a regular file"),
    "library": (_libpython, "an ELF shared object, not a program"),
}


@pytest.mark.parametrize("case", sorted(NOT_PROVEN))
def test_what_is_not_a_proven_interpreter_is_never_run(case: str, tmp_path: Path) -> None:
    """A path that is not a CPython interpreter by its files is refused in one line (exit 3) without running it."""
    make, words = NOT_PROVEN[case]
    python = make(tmp_path)
    (tmp_path / "venv").mkdir(exist_ok=True)
    (tmp_path / "venv" / "pyvenv.cfg").write_text("home = %s\n" % os.path.dirname(sys.executable))
    result = run_cadoctor(["check", "--python", python], child_env())
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("cadoctor: cannot probe ")
    assert words in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "ran").exists()


MISBEHAVING: dict[str, tuple[str, str]] = {
    "garbage": ("print('hello', flush=True); os._exit(0)", "exited with status 0 and printed no facts"),
    "endless": ("while True: os.write(1, b'y' * 65536)", "MiB of output"),
    "crash": ("sys.stderr.write('boom\\n'); os._exit(7)", "failed (exit status 7): boom"),
    "not-the-probe": ("print('{\"a\": 1}', flush=True); os._exit(0)", "answered, but not with the probe's facts"),
    "number": ("print(42, flush=True); os._exit(0)", "answered, but not with the probe's facts"),
    "not-utf-8": ("os.write(1, b'\\xff\\xfe{}'); os._exit(0)", "printed no facts"),
}


@pytest.mark.parametrize("case", sorted(MISBEHAVING))
def test_a_proven_interpreter_that_misbehaves_is_one_line_and_exit_3(case: str, tmp_path: Path) -> None:
    """A real interpreter whose startup breaks the probe's answer gives exit 3 and one line, never a traceback."""
    body, words = MISBEHAVING[case]
    python = misbehaving_python(tmp_path, body)
    result = run_cadoctor(["check", "--python", python], child_env())
    assert result.returncode == 3, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("cadoctor: cannot probe %s" % python)
    assert words in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("version", ["2.7", "3.6"])
def test_an_interpreter_too_old_for_the_probe_is_named_with_its_version(version: str) -> None:
    """Python 2.7 and 3.6 cannot run the probe: the one line says which version it met."""
    python = python_or_skip(version)
    result = run_cadoctor(["check", "--python", python], child_env())
    assert result.returncode == 3
    assert "is Python %s; the probe needs Python 3.8 or later" % version in result.stderr


def test_host_with_pid_or_root_is_a_usage_error(tmp_path: Path) -> None:
    """--host with --root is refused (exit 2, one line; ValueError from the API): the handshake would come from here."""
    result = run_cadoctor(["check", "--root", str(tmp_path), "--host", "localhost:1"], child_env())
    assert result.returncode == 2
    assert result.stderr == "cadoctor: --host cannot be combined with --root: the handshake would come from here\n"
    with pytest.raises(ValueError, match="cannot be combined"):
        check(root=str(tmp_path), hosts=["localhost:1"])


def test_host_with_python_is_made_by_that_interpreter(tls_server: int, test_ca: GeneratedCA) -> None:
    """--python with --host: the other interpreter makes the handshake, with the CA variables it is given."""
    python = python_or_skip("3.12")
    status, report = check_json(
        child_env(SSL_CERT_FILE=str(test_ca.bundle)), "--python", python, "--host", "localhost:%d" % tls_server
    )
    host = report["hosts"][0]
    assert (host["ok"], host["code"]) == (True, None)
    status, report = check_json(child_env(), "--python", python, "--host", "localhost:%d" % tls_server, "--no-verify")
    assert status == 1
    assert report["hosts"][0]["ok"] is False  # that interpreter, without the variable, does not trust the root
    assert report["hosts"][0]["stage"] == "handshake"
