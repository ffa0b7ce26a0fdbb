"""The CPythons this machine has, interpreters that misbehave on purpose, and a handshake made by one of them."""

from __future__ import annotations

import contextlib
import functools
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.environment import child_env
from helpers.runs import CHILD_TIMEOUT

MINORS = ("2.7", *("3.%d" % minor for minor in range(6, 16)))
# Asks an interpreter its version and whether it has ssl, in syntax that Python 2.7 and 3.6 read too.
_IDENTIFY = (
    "import sys\ntry:\n    import ssl\nexcept ImportError:\n    ssl = None\n"
    "sys.stdout.write('%d.%d %d' % (sys.version_info[0], sys.version_info[1], ssl is not None))"
)


def _pyenv_root() -> Path | None:
    """Where pyenv keeps its versions for this user: $PYENV_ROOT, `pyenv root`, or ~/.pyenv; None without pyenv."""
    configured = os.environ.get("PYENV_ROOT")
    if not configured and shutil.which("pyenv"):
        asked = subprocess.run(["pyenv", "root"], capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False)
        configured = asked.stdout.strip() if asked.returncode == 0 else None
    root = Path(configured or os.path.expanduser("~/.pyenv"))
    try:
        return root if (root / "versions").is_dir() else None
    except OSError:  # another user's home
        return None


@functools.cache
def pythons() -> dict[str, tuple[str, bool]]:
    """The CPythons this user can run, newest patch release per minor version: `3.9` -> (path, has ssl).

    Found in pyenv's versions (whoever's home it is in) and as `pythonX.Y` on PATH (pyenv's shims skipped: they
    run only the selected versions); each is asked its version, so a name never decides.
    """
    candidates: list[str] = []
    root = _pyenv_root()
    if root is not None:
        with contextlib.suppress(OSError):
            installed = root.glob("versions/*/bin/python[23].*[0-9]")
            candidates += [str(p) for p in sorted(installed, key=_release, reverse=True)]
    shims = str(root / "shims") if root is not None else None
    on_path = (shutil.which("python" + minor) for minor in MINORS)
    candidates += [p for p in on_path if p and os.path.dirname(p) != shims]
    known: dict[str, tuple[str, bool]] = {}
    for candidate in candidates:
        asked = subprocess.run(
            [candidate, "-S", "-c", _IDENTIFY], capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False
        )
        if asked.returncode == 0 and len(asked.stdout.split()) == 2:
            minor, ssl_flag = asked.stdout.split()
            known.setdefault(minor, (candidate, ssl_flag == "1"))  # the first is pyenv's newest patch release
    return known


def _release(path: Path) -> tuple[int, ...]:
    """A pyenv version folder's release as numbers (3.9.18 after 3.9.2); non-numeric parts count as 0."""
    return tuple(int(part) if part.isdigit() else 0 for part in path.parts[-3].split("."))


def python_or_skip(minor: str) -> str:
    """A CPython of this minor version (`3.12`) on this machine, or skip the test saying where it looked."""
    if minor not in pythons():
        pytest.skip("no Python %s here (looked in %s and PATH)" % (minor, _pyenv_root() or "no pyenv root"))
    return pythons()[minor][0]


def interpreter_at_least(version: tuple[int, int]) -> str:
    """Another CPython of at least `version` with ssl on this machine (pyenv or PATH), or skip."""
    for minor, (path, has_ssl) in sorted(pythons().items(), key=lambda item: tuple(map(int, item[0].split(".")))):
        if has_ssl and tuple(map(int, minor.split("."))) >= version:
            return path
    pytest.skip("no Python %d.%d or later with ssl on this machine" % version)


HANDSHAKE = """
import socket, ssl, sys
context = ssl.create_default_context()
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as sock:
        with context.wrap_socket(sock, server_hostname="localhost") as tls:
            print("handshake ok", tls.recv(2).decode())
except ssl.SSLError as exc:
    print("handshake failed:", exc.reason, getattr(exc, "verify_message", ""))
"""


def handshake(port: int, env: dict[str, str], executable: str = sys.executable) -> str:
    """Do one default-context handshake to the loopback server from a child interpreter."""
    result = subprocess.run(
        [executable, "-c", HANDSHAKE, str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    return result.stdout.strip() + result.stderr.strip()


# Reads the request first (and leaves it for the child) when cadoctor's child folder runs, to act on one job only.
MISBEHAVIOUR_MODULE = """
import io, json, os, sys
_job = None
if sys.argv[:1] and os.path.isfile(os.path.join(sys.argv[0], "jobs.py")):
    _request = sys.stdin.read()
    sys.stdin = io.StringIO(_request)
    _job = json.loads(_request).get("job")
if {condition}:
{body}
"""
WHEN = {
    "probe": "_job == 'facts'",
    "trial": "_job == 'fix-trial'",
}


def misbehaving_python(folder: Path, body: str, when: str = "probe") -> str:
    """A real interpreter (a venv of this one) that runs `body` at startup when cadoctor's child does one job.

    `when` names the job: the facts of the interpreter (`probe`) or a fix trial (`trial`). The venv's `.pth`
    imports a module that acts only for cadoctor's own child, so the interpreter is a proven CPython whose
    answers cadoctor must not trust: it is how a broken site-packages or a hostile one behaves.
    """
    venv = folder / "misbehaving"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=CHILD_TIMEOUT, env=child_env()
    )
    site = next(venv.glob("lib/python3*/site-packages"))
    indented = "\n".join("    " + line for line in body.strip().splitlines())
    (site / "cadoctor_test_misbehave.py").write_text(MISBEHAVIOUR_MODULE.format(condition=WHEN[when], body=indented))
    (site / "zz_cadoctor_test_misbehave.pth").write_text("import cadoctor_test_misbehave\n")
    return str(venv / "bin" / "python")


def marker_script(path: Path, marker: Path) -> str:
    """An executable shell script that leaves a marker whenever anything runs it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('#!/bin/sh\necho "$0 $*" >> %s\n' % shlex.quote(str(marker)))
    path.chmod(0o755)
    return str(path)


def bare_venv(tmp_path: Path) -> tuple[str, Path]:
    """A bare venv of this interpreter (no pip) and its site-packages folder."""
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, env=child_env(), timeout=CHILD_TIMEOUT
    )
    return str(venv / "bin" / "python"), next(venv.glob("lib/python3*/site-packages"))


def dist_info(site: Path, name: str, version: str, metadata: bytes | None) -> Path:
    """A `.dist-info` folder as pip writes it, with the given METADATA bytes (None: no METADATA at all)."""
    folder = site / ("%s-%s.dist-info" % (name.replace("-", "_"), version))
    folder.mkdir()
    if metadata is not None:
        (folder / "METADATA").write_bytes(metadata)
    return folder
