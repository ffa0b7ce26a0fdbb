"""The child: stdlib only, runs as a folder of its own on every Python >= 3.8, sees mapped libraries as they are."""

from __future__ import annotations

import base64
import json
import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.environment import child_env
from helpers.interpreters import python_or_skip
from helpers.openssl import ForeignOpenSSL, map_files_readable
from helpers.pki import GeneratedCA

from cadoctor._facts.child import build_strings, jobs
from cadoctor._facts.child.openssl_paths import trust_sources
from cadoctor._variables import for_child

SUPPORTED = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "3.14", "/usr/bin/python3")


def ask(python: str, request: dict[str, Any], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """Run the child folder as cadoctor does (`python FOLDER`, no -I or -S) and return its one JSON answer."""
    out = subprocess.run(
        [python, jobs.FOLDER],
        input=json.dumps(request),
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answer: dict[str, Any] = json.loads(out.stdout)
    assert jobs.is_answer(answer, request["job"]), answer
    return answer


def supported_python(minor: str) -> str:
    """A Python the children support, found here, or skip."""
    python = minor if minor.startswith("/") else python_or_skip(minor)
    if not os.access(python, os.X_OK):
        pytest.skip("no %s here" % python)
    return python


def root_der(ca: GeneratedCA) -> str:
    """The CA's root certificate, base64 DER, as a trial request carries sample roots."""
    return base64.b64encode(ssl.PEM_cert_to_DER_cert(ca.bundle.read_text())).decode("ascii")


@pytest.mark.slow
@pytest.mark.parametrize("minor", SUPPORTED)
def test_the_facts_job_runs_on_other_interpreters(minor: str, ca: GeneratedCA, tmp_path: Path) -> None:
    """The facts job copies exactly the variables the request names and marks the platforms it names."""
    python = supported_python(minor)
    env = child_env(SSL_CERT_FILE=str(ca.bundle), K_SERVICE="api", DYLD_CADOCTOR="1", CADOCTOR_UNNAMED="1")
    facts = ask(python, {"job": jobs.FACTS, "variables": for_child()}, env, tmp_path)
    assert facts["ssl"]["available"]
    assert len([lib for lib in facts["libraries"]["items"] if lib["in_use"]]) == 1  # the copy its ssl runs
    copied = {"SSL_CERT_FILE", "HOME", "DYLD_CADOCTOR", "PIP_CONFIG_FILE", "AWS_CONFIG_FILE"}  # not K_SERVICE, ...
    assert facts["environment"] == {name: env[name] for name in copied}
    assert "google-cloud-run" in facts["python"]["hints"]
    assert facts["trust"]["cafile"] == {"path": str(ca.bundle), "source": "env:SSL_CERT_FILE"}
    assert facts["default_context"]["x509_ca"] == 1
    assert jobs.FOLDER not in facts["python"]["site_folders"]


@pytest.mark.slow
@pytest.mark.parametrize("minor", SUPPORTED)
def test_the_fix_trial_runs_on_other_interpreters(minor: str, ca: GeneratedCA, port: int, tmp_path: Path) -> None:
    """The fix trial loads the named CA file, verifies the sample root, and makes a real handshake with it."""
    python = supported_python(minor)
    request = {
        "job": jobs.FIX_TRIAL,
        "cafile": str(ca.bundle),
        "samples": [root_der(ca)],
        "imports": ["json"],
        "host": {"host": "127.0.0.1", "port": port, "server_name": "localhost", "timeout": 10},
    }
    outcome = ask(python, request, child_env(), tmp_path)
    assert (outcome["error"], outcome["loaded"], outcome["imports"]) == (None, 1, {"json": None})
    assert (outcome["roots"]["trusted"], outcome["roots"]["tried"]) == (1, 1)
    assert outcome["handshake"]["ok"] is True, outcome["handshake"]
    assert len([lib for lib in outcome["libraries"]["items"] if lib["in_use"]]) == 1


@pytest.mark.slow
@pytest.mark.parametrize("minor", SUPPORTED)
def test_the_client_trial_runs_on_other_interpreters(minor: str, ca: GeneratedCA, port: int, tmp_path: Path) -> None:
    """The client trial finds the root in the store urllib resolves, and a real urllib request succeeds."""
    python = supported_python(minor)
    env = child_env(SSL_CERT_FILE=str(ca.bundle))
    stores = ask(
        python, {"job": jobs.CLIENT_TRIAL, "clients": ["urllib (stdlib)"], "samples": [root_der(ca)]}, env, tmp_path
    )
    assert stores["stores"]["urllib (stdlib)"] == {
        "store": "OpenSSL's default CA file",
        "trusted": 1,
        "tried": 1,
        "error": None,
    }
    request = {
        "job": jobs.CLIENT_TRIAL,
        "host": "localhost",
        "port": port,
        "timeout": 10,
        "clients": ["urllib (stdlib)"],
    }
    answer = ask(python, request, env, tmp_path)
    assert answer["error"] is None
    assert answer["clients"]["urllib (stdlib)"]["ok"] is True, answer["clients"]


def test_the_childs_modules_never_shadow_the_programs(tmp_path: Path) -> None:
    """A program module named like one of the child's is the one imported: the folder leaves sys.path first."""
    program = tmp_path / "program"
    program.mkdir()
    for name in ("connect", "jobs"):
        (program / (name + ".py")).write_text("raise ImportError('the program\\'s own %s')\n" % name)
    request = {"job": jobs.FIX_TRIAL, "imports": ["connect", "jobs"]}
    outcome = ask(sys.executable, request, child_env(PYTHONPATH=str(program)), program)
    assert outcome["imports"] == {
        "connect": "ImportError: the program's own connect",
        "jobs": "ImportError: the program's own jobs",
    }


def test_a_request_for_no_known_job_is_answered_with_an_error() -> None:
    """An unknown job gets an answer of the protocol that names the error, not an exception."""
    assert jobs.answer({"job": "dance"}) == {"error": "no such job: 'dance'", "child_version": 2, "job": "dance"}
    assert not jobs.is_answer(jobs.answer({"job": "dance"}), jobs.FACTS)


RAW = {
    "cafile_env": "SSL_CERT_FILE",
    "cafile": "/compiled/cert.pem",
    "capath_env": "SSL_CERT_DIR",
    "capath": "/compiled/certs",
}
COMPILED = {"path": "/compiled/cert.pem", "source": "compiled"}
COMPILED_DIRECTORY = [{"path": "/compiled/certs", "source": "compiled"}]
SOURCES: dict[str, tuple[dict[str, str], str, dict[str, Any]]] = {
    "unset": ({}, "OpenSSL 3.0.2 15 Mar 2022", {"cafile": COMPILED, "capaths": COMPILED_DIRECTORY}),
    "empty file variable": (
        {"SSL_CERT_FILE": ""},
        "OpenSSL 3.0.2 15 Mar 2022",
        {"cafile": {"path": "", "source": "env:SSL_CERT_FILE"}, "capaths": COMPILED_DIRECTORY},
    ),
    "a file": (
        {"SSL_CERT_FILE": "/etc/ca.pem"},
        "OpenSSL 3.0.2 15 Mar 2022",
        {"cafile": {"path": "/etc/ca.pem", "source": "env:SSL_CERT_FILE"}, "capaths": COMPILED_DIRECTORY},
    ),
    "empty directory variable": (
        {"SSL_CERT_DIR": ""},
        "OpenSSL 3.0.2 15 Mar 2022",
        {"cafile": COMPILED, "capaths": []},
    ),
    "a colon-separated list": (
        {"SSL_CERT_DIR": "/a::/b:"},
        "OpenSSL 1.1.1k  FIPS 25 Mar 2021",
        {
            "cafile": COMPILED,
            "capaths": [{"path": "/a", "source": "env:SSL_CERT_DIR"}, {"path": "/b", "source": "env:SSL_CERT_DIR"}],
        },
    ),
    "LibreSSL ignores both": (
        {"SSL_CERT_FILE": "/etc/ca.pem", "SSL_CERT_DIR": "/a"},
        "LibreSSL 3.3.6",
        {"cafile": COMPILED, "capaths": COMPILED_DIRECTORY},
    ),
}


@pytest.mark.parametrize("case", sorted(SOURCES))
def test_default_paths_resolve_as_openssl_does(case: str) -> None:
    """The CA file and folders in effect: a variable set (even empty) wins, a list splits, LibreSSL reads neither."""
    environ, version, expected = SOURCES[case]
    assert trust_sources({"default_verify_paths_raw": RAW, "openssl_version": version}, environ) == expected


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
    env = child_env(LD_LIBRARY_PATH=str(loaded))
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
    facts = build_strings.read_build_strings(str(path))
    assert facts["openssldir"] is None
    assert facts["version"] is None
