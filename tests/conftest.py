"""Real parts for the tests: explicit child environments, a foreign libcrypto, generated CAs, loopback TLS."""

from __future__ import annotations

import contextlib
import datetime
import functools
import json
import os
import select
import shlex
import shutil
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from referencing import Registry, Resource

from cadoctor._facts.child import build_strings

SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
SHIPPED = resources.files("cadoctor").joinpath("schema")
SCHEMAS = {entry.name: json.loads(entry.read_text()) for entry in SHIPPED.iterdir() if entry.name.endswith(".json")}
REGISTRY: Registry[Any] = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in SCHEMAS.values()
)
CHILD_TIMEOUT = 120


def pytest_report_header() -> list[str]:
    """Show the trust path the tests run against."""
    return ["openssl: %s; verify paths: %s" % (ssl.OPENSSL_VERSION, ssl.get_default_verify_paths())]


def validate(document: Any, name: str) -> None:
    """Validate a document against a shipped schema, resolving references between the schemas as published."""
    import jsonschema

    jsonschema.Draft202012Validator(SCHEMAS[name], registry=REGISTRY).validate(document)


def clean_env(**extra: str) -> dict[str, str]:
    """A child environment built from nothing: no CA variables unless a test adds them."""
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": os.environ.get("HOME", "/root")}
    env.update(extra)
    return env


def run_cadoctor(
    args: list[str], env: dict[str, str], executable: str = sys.executable, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """Run `python -m cadoctor` in a child interpreter with exactly this environment."""
    return subprocess.run(
        [executable, "-m", "cadoctor", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
        **kwargs,
    )


def check_json(env: dict[str, str], *extra: str) -> tuple[int, dict[str, Any]]:
    """Run `cadoctor check --format json` and parse its report."""
    result = run_cadoctor(["check", "--format", "json", *extra], env)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def codes(report: dict[str, Any], severity: str | None = None) -> set[str]:
    """The finding codes of a JSON report, optionally of one severity."""
    return {f["code"] for f in report["findings"] if severity is None or f["severity"] == severity}


@dataclass(frozen=True)
class ForeignOpenSSL:
    """A copy of the system libcrypto/libssl whose compiled OPENSSLDIR does not exist."""

    directory: Path
    openssldir: str
    original: str
    libcrypto: Path


def _loaded_openssl() -> tuple[Path, Path]:
    """The libcrypto and libssl files this interpreter's ssl module uses."""
    mapped = [line.split()[-1] for line in Path("/proc/self/maps").read_text().splitlines() if "/" in line]
    crypto = next((Path(p) for p in mapped if Path(p).name.startswith("libcrypto.so")), None)
    libssl = next((Path(p) for p in mapped if Path(p).name.startswith("libssl.so")), None)
    if crypto is None or libssl is None:
        pytest.skip("this interpreter does not load a shared libcrypto/libssl")
    return crypto, libssl


@pytest.fixture(scope="session")
def foreign_openssl(tmp_path_factory: pytest.TempPathFactory) -> ForeignOpenSSL:
    """Patch a copy of the system libcrypto so that its OPENSSLDIR names a directory that does not exist."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the libcrypto copy is built on Linux")
    crypto, libssl = _loaded_openssl()
    original = build_strings.read_build_strings(str(crypto))["openssldir"]
    assert original, "the system libcrypto names its OPENSSLDIR"
    replacement = ("/cadoctor-missing-" + "x" * len(original))[: len(original)]
    assert not os.path.exists(replacement)
    directory = tmp_path_factory.mktemp("foreign-openssl")
    for source in (crypto, libssl):
        data = source.read_bytes().replace(original.encode(), replacement.encode())
        (directory / source.name).write_bytes(data)
    return ForeignOpenSSL(directory, replacement, original, directory / crypto.name)


@dataclass(frozen=True)
class GeneratedCA:
    """A CA generated for one test, with a server certificate for localhost."""

    bundle: Path
    cert: Path
    key: Path
    name: str


def make_ca(
    directory: Path, name: str = "cadoctor Test Root", *, days: tuple[int, int] = (-1, 30), strict: bool = True
) -> GeneratedCA:
    """Generate a root CA and a localhost server certificate signed by it.

    `days` is the CA's validity relative to now; `strict=False` makes the legacy kind of CA that Python 3.13's
    strict verification rejects (basicConstraints not critical, no subject key identifier).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=days[0]))
        .not_valid_after(now + datetime.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=strict)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    )
    if strict:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
    ca = builder.sign(ca_key, hashes.SHA256())
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    bundle, cert, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    bundle.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return GeneratedCA(bundle, cert, key_path, name)


@pytest.fixture
def test_ca(tmp_path: Path) -> GeneratedCA:
    """A fresh CA for this test."""
    return make_ca(tmp_path / "ca")


@contextlib.contextmanager
def serve_tls(ca: GeneratedCA) -> Iterator[int]:
    """Run a TLS server on 127.0.0.1 presenting a certificate from `ca`; yield its port."""
    from servers import serve, tls_handler

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(ca.cert), str(ca.key))
    with serve(tls_handler(context)) as port:
        yield port


@pytest.fixture
def tls_server(test_ca: GeneratedCA) -> Iterator[int]:
    """A TLS server on 127.0.0.1 presenting a certificate from the test CA; yields its port."""
    with serve_tls(test_ca) as port:
        yield port


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


def system_bundle_or_skip() -> str:
    """The Debian-family system bundle, which several tests lean on."""
    if not os.path.isfile(SYSTEM_BUNDLE):
        pytest.skip("no %s on this host" % SYSTEM_BUNDLE)
    return SYSTEM_BUNDLE


def copy_bundle(tmp_path: Path, name: str = "bundle.pem") -> Path:
    """A private copy of the system bundle that a test may change."""
    target = tmp_path / name
    shutil.copyfile(system_bundle_or_skip(), target)
    return target


def map_files_readable() -> bool:
    """Whether this user may open /proc/PID/map_files entries (the bytes of deleted libraries): root, usually.

    The kernel asks for CAP_SYS_ADMIN (CAP_CHECKPOINT_RESTORE since 5.9) even for one's own processes, so
    another user reads a deleted library's OPENSSLDIR as unknown.
    """
    folder = "/proc/self/map_files"
    try:
        with open(os.path.join(folder, sorted(os.listdir(folder))[0]), "rb"):
            return True
    except (OSError, IndexError):
        return False


def maps_name(pid: int, part: str) -> bool:
    """Whether a process has mapped a file whose path contains `part`."""
    try:
        return part in Path("/proc/%d/maps" % pid).read_text()
    except OSError:
        return False


@contextlib.contextmanager
def running(args: list[str], env: dict[str, str], mapped: str | None = None) -> Iterator[subprocess.Popen[str]]:
    """Start a real process and wait until it is set up; stop it at the end.

    It is set up once it prints `ready`, or, with `mapped`, once it maps a file whose path contains that.
    """
    child = subprocess.Popen(
        args, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        deadline = time.monotonic() + CHILD_TIMEOUT
        if mapped is not None:
            while not maps_name(child.pid, mapped):
                assert child.poll() is None, "the child exited before it was set up"
                assert time.monotonic() < deadline, "the child was not set up in time"
                time.sleep(0.01)
        else:
            assert child.stdout is not None
            started, _, _ = select.select([child.stdout], [], [], CHILD_TIMEOUT)
            line = child.stdout.readline() if started else ""
            assert line.strip() == "ready", "the child did not start: %r" % line
        yield child
    finally:
        child.kill()
        child.communicate(timeout=CHILD_TIMEOUT)


WAIT = "import sys; print('ready', flush=True); sys.stdin.read()"


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
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=CHILD_TIMEOUT, env=clean_env()
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


@pytest.fixture(scope="module")
def ca(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> GeneratedCA:
    """A private root that no store on the host holds, one per test module and named after it."""
    module = request.module.__name__.rpartition(".")[2].removeprefix("test_")
    return make_ca(tmp_path_factory.mktemp(module + "-ca"), "cadoctor %s Root" % module.replace("_", " ").title())


@pytest.fixture(scope="module")
def port(ca: GeneratedCA) -> Iterator[int]:
    """A loopback server for the client tests (HTTP/1.1 404, gRPC UNIMPLEMENTED) presenting a leaf from `ca`."""
    import clients

    with clients.serve_clients(ca.cert, ca.key) as port:
        yield port
