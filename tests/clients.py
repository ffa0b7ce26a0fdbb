"""Ground truth from real TLS clients: one request through a named library, in a fresh interpreter of a client venv.

- `serve_clients(cert, key)`: a loopback server on 127.0.0.1 that answers every HTTP/1.1 request with `404` and,
  when the client offers ALPN `h2` (gRPC does), every gRPC call with the trailers-only status UNIMPLEMENTED. A
  client that gets either answer completed a verified handshake, so "any answer" is a clean Y.
- `outcome(python, client, port, env)`: "Y" (verified: an HTTP or gRPC answer came back), "N" (certificate
  verification failed) or "X" (the client raised because of its CA setting: a missing or unreadable bundle, an
  empty path it rejects). Anything else (refused, timed out, a crash) raises `OutcomeError` with the child's
  output, so a broken harness never passes for a verdict. `observe` returns the same with the evidence.
- `os_store_with(*roots)` / `run_in_os_store(argv, env, roots)`: run a command in a private mount namespace whose
  `/etc/ssl/certs` is a bind-mounted copy of the real one with the roots added to `ca-certificates.crt` and as
  `<subject-hash>.N` links (or, with `hash_links=False`, a RHEL-like directory holding only the bundle). The real
  `/etc/ssl/certs` is only ever read. Skips unless root with a working `unshare -m`.

Client venvs come from `artefacts.clients_venv()` and friends; `client_env()` is the clean environment to start
from (it keeps host pip and AWS config files out, which CLIENTS.md also switched off).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import shlex
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from servers import serve

CHILD_TIMEOUT = 20.0  # the whole child: interpreter start, imports, one request
CLIENT_TIMEOUT = 10.0  # what each library is told for connect/read
SYSTEM_CERTS = Path("/etc/ssl/certs")
SYSTEM_BUNDLE_NAME = "ca-certificates.crt"
LOCAL_ANCHORS = Path("/usr/local/share/ca-certificates")  # Debian's folder for roots an administrator adds
MARK = "CADOCTOR-OUTCOME "

# ----- the server -----

H2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
H2_DATA, H2_HEADERS, H2_SETTINGS, H2_PING, H2_GOAWAY, H2_CONTINUATION = 0x0, 0x1, 0x4, 0x6, 0x7, 0x9
H2_END_STREAM, H2_ACK, H2_END_HEADERS = 0x1, 0x1, 0x4
HTTP_404 = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\nnot found\n"
)


def _hpack_literal(name: bytes, value: bytes) -> bytes:
    """One header as an HPACK literal without indexing, new name, no Huffman (both shorter than 127 bytes)."""
    return bytes([0x00, len(name)]) + name + bytes([len(value)]) + value


# ":status: 200" (static index 8), "content-type: application/grpc" (literal, static name 31), then the status.
GRPC_UNIMPLEMENTED = (
    b"\x88"
    + b"\x0f\x10"
    + bytes([len(b"application/grpc")])
    + b"application/grpc"
    + _hpack_literal(b"grpc-status", b"12")
    + _hpack_literal(b"grpc-message", b"cadoctor test server")
)


def _frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    """One HTTP/2 frame."""
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def _read_exact(conn: ssl.SSLSocket, size: int) -> bytes:
    """Exactly `size` bytes, or EOFError."""
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _answer_http1(conn: ssl.SSLSocket) -> None:
    """Read one request head and answer 404 (and close)."""
    request = b""
    while b"\r\n\r\n" not in request and len(request) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            return
        request += chunk
    conn.sendall(HTTP_404)


def _answer_grpc(conn: ssl.SSLSocket) -> None:
    """Speak just enough HTTP/2 for gRPC: settings, pings, and UNIMPLEMENTED (trailers-only) for every call."""
    if _read_exact(conn, len(H2_PREFACE)) != H2_PREFACE:
        return
    conn.sendall(_frame(H2_SETTINGS, 0, 0))
    while True:
        head = _read_exact(conn, 9)
        length = int.from_bytes(head[:3], "big")
        kind, flags, stream = head[3], head[4], int.from_bytes(head[5:9], "big") & 0x7FFFFFFF
        payload = _read_exact(conn, length)
        if kind == H2_SETTINGS and not flags & H2_ACK:
            conn.sendall(_frame(H2_SETTINGS, H2_ACK, 0))
        elif kind == H2_PING and not flags & H2_ACK:
            conn.sendall(_frame(H2_PING, H2_ACK, 0, payload))
        elif kind in (H2_HEADERS, H2_CONTINUATION) and flags & H2_END_HEADERS:
            conn.sendall(_frame(H2_HEADERS, H2_END_STREAM | H2_END_HEADERS, stream, GRPC_UNIMPLEMENTED))
        elif kind == H2_GOAWAY:
            return


@contextlib.contextmanager
def serve_clients(cert: Path, key: Path) -> Iterator[int]:
    """A TLS server on 127.0.0.1 presenting `cert`: HTTP/1.1 gets 404, HTTP/2 (ALPN h2) gets gRPC UNIMPLEMENTED."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    context.set_alpn_protocols(["h2", "http/1.1"])

    def handle(raw: socket.socket) -> None:
        with context.wrap_socket(raw, server_side=True) as conn, contextlib.suppress(EOFError):
            if conn.selected_alpn_protocol() == "h2":
                _answer_grpc(conn)
            else:
                _answer_http1(conn)

    with serve(handle) as port:
        yield port


# ----- the clients -----

CHILD = r"""
import json, os, ssl, sys

CLIENT, HOST, PORT, TIMEOUT = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
URL = "https://%s:%d/" % (HOST, PORT)


def run_urllib():
    '''urllib.request.urlopen(url): the default HTTPS handler's context (OpenSSL default paths); HTTPError 404 is Y.'''
    import urllib.error, urllib.request
    try:
        with urllib.request.urlopen(URL, timeout=TIMEOUT) as response:
            return "HTTP %d" % response.status
    except urllib.error.HTTPError as exc:
        return "HTTP %d" % exc.code


def run_http_client():
    '''http.client.HTTPSConnection(host, port).request('GET', '/'): the default context made in __init__.'''
    import http.client
    connection = http.client.HTTPSConnection(HOST, PORT, timeout=TIMEOUT)
    try:
        connection.request("GET", "/")
        return "HTTP %d" % connection.getresponse().status
    finally:
        connection.close()


def run_requests():
    '''requests.get(url): a Session with trust_env (REQUESTS_CA_BUNDLE > CURL_CA_BUNDLE > certifi).'''
    import requests
    return "HTTP %d" % requests.get(URL, timeout=TIMEOUT).status_code


def run_httpx():
    '''httpx.get(url): a Client with trust_env and verify=True (SSL_CERT_FILE > SSL_CERT_DIR > certifi).'''
    import httpx
    return "HTTP %d" % httpx.get(URL, timeout=TIMEOUT).status_code


def run_urllib3():
    '''urllib3.PoolManager().request('GET', url): no ca_certs given, so load_default_certs (OpenSSL defaults).'''
    import urllib3
    return "HTTP %d" % urllib3.PoolManager().request("GET", URL, timeout=TIMEOUT, retries=False).status


def run_aiohttp():
    '''aiohttp.ClientSession().get(url): the connector's module-level verified default context.'''
    import asyncio, aiohttp

    async def main():
        async with aiohttp.ClientSession() as session:
            async with session.get(URL, timeout=aiohttp.ClientTimeout(total=TIMEOUT)) as response:
                return "HTTP %d" % response.status

    return asyncio.run(main())


def run_botocore():
    '''A real S3 client doing list_buckets against endpoint_url (UNSIGNED, one attempt): the whole verify chain.

    That is `ca_bundle` config / AWS_CA_BUNDLE (Session.create_client), then REQUESTS_CA_BUNDLE
    (EndpointCreator._get_verify_value, which rejects an empty value), else httpsession.where() (certifi when
    importable, else botocore/cacert.pem). The 404 comes back as ClientError: Y.
    '''
    import botocore, botocore.config, botocore.exceptions, botocore.session
    config = botocore.config.Config(
        signature_version=botocore.UNSIGNED,
        retries={"total_max_attempts": 1},
        connect_timeout=TIMEOUT,
        read_timeout=TIMEOUT,
    )
    client = botocore.session.get_session().create_client(
        "s3", region_name="us-east-1", endpoint_url=URL, config=config
    )
    try:
        client.list_buckets()
        return "HTTP 200"
    except botocore.exceptions.ClientError as exc:
        return "HTTP %s" % exc.response["ResponseMetadata"]["HTTPStatusCode"]


def run_grpcio():
    '''One unary call on grpc.secure_channel('127.0.0.1:port', ssl_channel_credentials()) named `host`.

    The server's UNIMPLEMENTED status can only arrive over a verified TLS handshake and HTTP/2 (Y); a failed
    handshake is UNAVAILABLE whose details name CERTIFICATE_VERIFY_FAILED (N). Roots: C-core's choice
    (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, the Python callback's roots.pem, system roots).
    '''
    import grpc
    options = [("grpc.ssl_target_name_override", HOST), ("grpc.default_authority", HOST)]
    channel = grpc.secure_channel("127.0.0.1:%d" % PORT, grpc.ssl_channel_credentials(), options=options)
    try:
        channel.unary_unary("/cadoctor.Probe/Ping")(b"", timeout=TIMEOUT)
        return "grpc OK"
    except grpc.RpcError as exc:
        if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
            return "grpc UNIMPLEMENTED (%s)" % exc.details()
        raise RuntimeError("grpc %s: %s" % (exc.code(), exc.details())) from None
    finally:
        channel.close()


def run_httplib2():
    '''httplib2.Http().request(url): CA_CERTS, read at import (HTTPLIB2_CA_CERTS > certifi > cacerts.txt).'''
    import httplib2
    response, _ = httplib2.Http(timeout=TIMEOUT).request(URL)
    return "HTTP %d" % response.status


def run_websockets():
    '''websockets' connect('wss://host:port/') (asyncio API; legacy before 13): the 404 rejection is Y.'''
    import asyncio
    try:
        from websockets.asyncio.client import connect
    except ImportError:
        from websockets import connect

    async def main():
        try:
            async with connect("wss://%s:%d/" % (HOST, PORT), open_timeout=TIMEOUT):
                return "websocket open"
        except Exception as exc:
            if type(exc).__name__ not in ("InvalidStatus", "InvalidStatusCode"):
                raise
            response = getattr(exc, "response", None)
            return "HTTP %s" % getattr(response, "status_code", getattr(exc, "status_code", "?"))

    return asyncio.run(main())


def run_tornado():
    '''tornado.httpclient.HTTPClient().fetch(url) (simple_httpclient): HTTPClientError 404 is Y, 599 is not.'''
    from tornado.httpclient import HTTPClient, HTTPClientError
    client = HTTPClient()
    try:
        return "HTTP %d" % client.fetch(URL, connect_timeout=TIMEOUT, request_timeout=TIMEOUT).code
    except HTTPClientError as exc:
        if exc.code == 599:
            raise
        return "HTTP %d" % exc.code
    finally:
        client.close()


def links(exc):
    "Every exception reachable from `exc`: causes, contexts, wrapped errors, exception groups."
    seen, found, todo = set(), [], [exc]
    while todo and len(found) < 40:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        kwargs = getattr(current, "kwargs", None)
        nested = [current.__cause__, current.__context__]
        nested += [getattr(current, name, None) for name in ("reason", "certificate_error", "os_error", "error")]
        nested += list(getattr(current, "args", ()) or ()) + list(getattr(current, "exceptions", ()) or ())
        nested += list(kwargs.values()) if isinstance(kwargs, dict) else []
        todo.extend(item for item in nested if isinstance(item, BaseException))
    return found


def describe(exc):
    return {
        "type": "%s.%s" % (type(exc).__module__, type(exc).__qualname__),
        "classes": [cls.__name__ for cls in type(exc).__mro__],
        "text": str(exc)[:4000],
        "verify": isinstance(exc, ssl.SSLCertVerificationError),
    }


run = globals()["run_" + CLIENT.replace(".", "_")]
try:
    answer = run()
except BaseException as exc:
    print("\n" + MARK + json.dumps({"error": [describe(link) for link in links(exc)]}), flush=True)
else:
    print("\n" + MARK + json.dumps({"answer": answer}), flush=True)
""".replace("MARK", repr(MARK))


def _pip_argv(python: os.PathLike[str] | str, url: str, scratch: str) -> list[str]:
    """`python -m pip download --no-deps --index-url <url> x`, one try, no cache, -vv: pip's whole CA choice.

    Y: pip logged the index's 404 for GET /simple/x/; N: it logged an SSL error naming CERTIFICATE_VERIFY_FAILED;
    X: it refused its CA setting ('Could not find a suitable TLS CA certificate bundle', another OSError). pip reads
    its config files unless PIP_CONFIG_FILE is os.devnull, as `client_env` sets it.
    """
    argv = [os.fspath(python), "-m", "pip", "download", "--no-deps", "--no-cache-dir", "--retries", "0"]
    argv += ["--timeout", "%g" % CLIENT_TIMEOUT, "--disable-pip-version-check", "--no-input", "-vv"]
    return [*argv, "--index-url", url, "--dest", scratch, "x"]


def _uv_argv(python: os.PathLike[str] | str, url: str, env: Mapping[str, str]) -> list[str]:
    """`uv pip install --dry-run --no-cache --index-url <url> x` with the venv's uv binary, for that venv.

    Y: uv got an answer from the index (it then complains about its content or the missing project); N: it
    failed on the peer's certificate ('invalid peer certificate'); X: it refused a CA setting. uv reads no
    configuration file unless UV_CONFIG_FILE names one.
    """
    uv = os.path.join(os.path.dirname(os.fspath(python)), "uv")
    argv = [uv, "pip", "install", "--dry-run", "--no-cache", "--python", os.fspath(python), "--index-url", url]
    return [*argv, *([] if env.get("UV_CONFIG_FILE") else ["--no-config"]), "x"]


# uv's words when a CA setting stops it: it names the variable, or (--system-certs with SSL_CERT_FILE='') says
# it loaded nothing before it tried any host.
UV_REFUSALS = ("SSL_CERT_FILE", "SSL_CERT_DIR", "No CA certificates were loaded")


def _classify_uv(output: str) -> Observation:
    """Read uv's error: the certificate, or an answer from the index, or a refused CA setting."""
    lines = output.splitlines()
    refused = [line for line in lines if any(text in line for text in UV_REFUSALS)]
    verify = [line for line in lines if "invalid peer certificate" in line]
    if verify:
        return Observation("N", verify[0].strip())
    answered = [line for line in lines if "Unsupported `Content-Type`" in line or "not found in the package" in line]
    if answered:
        return Observation("Y", answered[0].strip())
    if refused:
        return Observation("X", refused[0].strip())
    raise OutcomeError("uv neither reached the index nor failed on certificates:\n%s" % output)


def _measured() -> dict[str, str]:
    """Each client's name and what `outcome` measures for it: the docstrings of the child's run_* functions."""
    found: dict[str, str] = {}
    for node in ast.parse(CHILD).body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("run_"):
            name = node.name[len("run_") :].replace("http_client", "http.client")
            found[name] = " ".join((ast.get_docstring(node) or "").split())
    found["pip"] = " ".join((_pip_argv.__doc__ or "").split())
    return found


CLIENTS: dict[str, str] = _measured()  # client name -> what its outcome measures
TOOLS = {"uv": " ".join((_uv_argv.__doc__ or "").split())}  # clients that are binaries of their own venv

VERIFY_FAILED = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed")
CA_SETTING_CLASSES = ("FileNotFoundError", "IsADirectoryError", "NotADirectoryError", "InvalidConfigError")
CA_SETTING_TEXT = (
    "Could not find a suitable TLS CA certificate bundle",
    "HTTPLIB2_CA_CERTS",
    "NO_CERTIFICATE_OR_CRL_FOUND",
    "no certificate or crl found",
    "Invalid CA bundle",
)


class OutcomeError(AssertionError):
    """The client neither got an answer nor failed on its certificates or CA setting: the harness is at fault."""


@dataclass(frozen=True)
class Observation:
    """One client's verdict on one server, with what it was based on."""

    code: str  # "Y", "N" or "X"
    evidence: str  # the client's answer, or the exception chain / pip's output that decided it


def client_env(**extra: str) -> dict[str, str]:
    """A clean child environment: no CA, proxy, Python or pip variables; host pip and AWS config files kept out."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": os.path.expanduser("~"),
        "PIP_CONFIG_FILE": os.devnull,  # pip then reads no config file at all (this host's /etc/pip.conf has cert=)
        "AWS_CONFIG_FILE": os.devnull,  # no ca_bundle from ~/.aws/config
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    env.update(extra)
    return env


def outcome(
    python: os.PathLike[str] | str,
    client: str,
    port: int,
    env: Mapping[str, str],
    server_name: str = "localhost",
    *,
    prefix: Sequence[str] = (),
) -> str:
    """Y, N or X for one request through `client` in a fresh child of `python` with exactly `env` (see `observe`)."""
    return observe(python, client, port, env, server_name, prefix=prefix).code


def observe(
    python: os.PathLike[str] | str,
    client: str,
    port: int,
    env: Mapping[str, str],
    server_name: str = "localhost",
    *,
    prefix: Sequence[str] = (),
) -> Observation:
    """One request through `client` to `serve_clients` on 127.0.0.1:`port` under the name `server_name`.

    The child is `python` (a client venv's interpreter) started with exactly `env`, in an empty directory, after
    `prefix` (e.g. `OsStore.prefix`, to run it with a private /etc/ssl/certs).
    """
    if client not in CLIENTS and client not in TOOLS:
        raise ValueError("unknown client %r; known: %s" % (client, ", ".join(CLIENTS)))
    with tempfile.TemporaryDirectory(prefix="cadoctor-client-") as scratch:
        if client == "pip":
            argv = _pip_argv(python, "https://%s:%d/simple/" % (server_name, port), scratch)
        elif client == "uv":
            argv = _uv_argv(python, "https://%s:%d/simple/" % (server_name, port), env)
        else:
            argv = [os.fspath(python), "-c", CHILD, client, server_name, str(port), "%g" % CLIENT_TIMEOUT]
        try:
            done = subprocess.run(
                [*prefix, *argv],
                env=dict(env),
                cwd=scratch,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=CHILD_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise OutcomeError("%s did not finish in %ss: %s" % (client, CHILD_TIMEOUT, exc.output)) from None
    output = done.stdout + done.stderr
    if client == "pip":
        return _classify_pip(output)
    if client == "uv":
        return _classify_uv(output)
    results = [line[len(MARK) :] for line in done.stdout.splitlines() if line.startswith(MARK)]
    if not results:
        raise OutcomeError("%s printed no outcome (exit %d):\n%s" % (client, done.returncode, output))
    result: dict[str, Any] = json.loads(results[-1])
    if "answer" in result:
        return Observation("Y", str(result["answer"]))
    return _classify_error(client, result["error"], output)


def _classify_error(client: str, chain: list[dict[str, Any]], output: str) -> Observation:
    """N when any link of the exception chain is a certificate verification failure, X for a CA-setting error."""
    evidence = " <- ".join("%s: %s" % (link["type"], link["text"]) for link in chain)
    if any(link["verify"] or any(text in link["text"] for text in VERIFY_FAILED) for link in chain):
        return Observation("N", evidence)
    for link in chain:
        if set(link["classes"]) & set(CA_SETTING_CLASSES) or any(text in link["text"] for text in CA_SETTING_TEXT):
            return Observation("X", evidence)
    raise OutcomeError("%s failed for a reason that is not about certificates: %s\n%s" % (client, evidence, output))


def _classify_pip(output: str) -> Observation:
    """Read pip's -vv output: an SSL verification failure, the index's 404 for the project, or a refused CA setting."""
    lines = output.splitlines()
    verify = [line for line in lines if any(text in line for text in VERIFY_FAILED)]
    if verify:
        return Observation("N", verify[0].strip())
    answered = [line for line in lines if '"GET /simple/x/ HTTP/1.1" 404' in line]
    if answered:
        return Observation("Y", answered[0].strip())
    refused = [line for line in lines if "due to an OSError" in line or any(text in line for text in CA_SETTING_TEXT)]
    if refused:
        return Observation("X", refused[-1].strip())
    raise OutcomeError("pip neither reached the index nor failed on certificates:\n%s" % output)


def python_output(
    python: os.PathLike[str] | str, code: str, env: Mapping[str, str], *, prefix: Sequence[str] = ()
) -> str:
    """What `python -c code` prints (stripped), run with exactly `env`; fail the test on a non-zero exit."""
    done = subprocess.run(
        [*prefix, os.fspath(python), "-c", code],
        env=dict(env),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, "python -c %r exited %d: %s%s" % (code, done.returncode, done.stdout, done.stderr)
    return done.stdout.strip()


# ----- a private OS store -----


@dataclass(frozen=True)
class OsStore:
    """A private copy of /etc/ssl/certs with extra roots, and the argv prefix that runs a command on top of it."""

    directory: Path  # the copy; it is mounted on /etc/ssl/certs only inside the commands run through `prefix`
    prefix: tuple[str, ...]  # `unshare -m --propagation private -- sh -c 'mount --bind ... && exec "$@"' <copy>`
    hash_links: bool

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], timeout: float = CHILD_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """Run `argv` with exactly `env` where /etc/ssl/certs is this copy."""
        return subprocess.run(
            [*self.prefix, *argv],
            env=dict(env),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def subject_hash(pem: Path) -> str:
    """OpenSSL's subject hash of a PEM certificate (the `<hash>` of its `<hash>.N` link)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to name hashed links")
    done = subprocess.run(
        [openssl, "x509", "-subject_hash", "-noout", "-in", str(pem)],
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    return done.stdout.strip()


def namespace_or_skip() -> None:
    """Skip unless this process may make a private mount namespace and bind-mount in it (root, unshare, mount)."""
    if not SYSTEM_CERTS.is_dir() or not (SYSTEM_CERTS / SYSTEM_BUNDLE_NAME).is_file():
        pytest.skip("no Debian-style %s/%s on this host" % (SYSTEM_CERTS, SYSTEM_BUNDLE_NAME))
    if os.geteuid() != 0:
        pytest.skip("a private mount namespace over /etc/ssl/certs needs root")
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        pytest.skip("unshare and mount (util-linux) are needed for a private mount namespace")
    with tempfile.TemporaryDirectory(prefix="cadoctor-mount-trial-") as scratch:
        trial = subprocess.run(
            ["unshare", "-m", "--propagation", "private", "--", "mount", "--bind", scratch, scratch],
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )
    if trial.returncode != 0:
        pytest.skip("unshare -m cannot bind-mount here: %s" % (trial.stderr.strip() or trial.returncode))


def snapshot(directory: Path = SYSTEM_CERTS) -> str:
    """A digest of a directory's names, link targets and file contents (to prove it was not changed)."""
    digest = hashlib.sha256()
    for entry in sorted(directory.iterdir()):
        digest.update(entry.name.encode() + b"\0")
        if entry.is_symlink():
            digest.update(b"-> " + os.readlink(entry).encode())
        elif entry.is_file():
            digest.update(hashlib.sha256(entry.read_bytes()).digest())
        digest.update(b"\n")
    return digest.hexdigest()


def _write_fresh(path: Path, data: bytes) -> None:
    """Replace `path` in the copy by a new regular file: never write through a link that may lead out of the copy."""
    if path.is_symlink() or path.exists():
        path.unlink()
    with path.open("xb") as stream:
        stream.write(data)


@contextlib.contextmanager
def os_store_with(
    *roots: Path, hash_links: bool = True, anchors: bool = False, in_store: bool = True
) -> Iterator[OsStore]:
    """A copy of /etc/ssl/certs that also trusts `roots` (PEM files), usable through the yielded `OsStore`.

    With `anchors`, the roots are also added to a copy of /usr/local/share/ca-certificates (the folder an
    administrator adds roots to, from which update-ca-certificates builds the bundle): they are local roots.
    Without `in_store` they are only there: added by the administrator, but update-ca-certificates not run.

    With `hash_links` (Debian): the whole directory, each root appended to ca-certificates.crt and linked as
    `<subject-hash>.N` (N past any existing link). Without (RHEL-like): a directory holding only the bundle, so a
    lookup by hashed name (capath, SSL_CERT_DIR) finds nothing. The copy lives in a temporary directory that is
    removed afterwards; the real directory is read, never written.
    """
    namespace_or_skip()
    with tempfile.TemporaryDirectory(prefix="cadoctor-os-store-") as scratch:
        copy = Path(scratch) / "certs"
        bundle = (SYSTEM_CERTS / SYSTEM_BUNDLE_NAME).read_bytes()
        if hash_links:
            shutil.copytree(SYSTEM_CERTS, copy, symlinks=True)
        else:
            copy.mkdir()
        for index, root in enumerate(roots if in_store else ()):
            pem = root.read_bytes()
            bundle = bundle.rstrip(b"\n") + b"\n" + pem.rstrip(b"\n") + b"\n"
            if hash_links:
                own = "cadoctor-extra-%d.pem" % index
                _write_fresh(copy / own, pem)
                stem = subject_hash(root)
                number = 0
                while os.path.lexists(copy / ("%s.%d" % (stem, number))):
                    number += 1
                (copy / ("%s.%d" % (stem, number))).symlink_to(own)
        _write_fresh(copy / SYSTEM_BUNDLE_NAME, bundle)
        script = 'mount --bind "$0" %s && exec "$@"' % SYSTEM_CERTS
        if anchors:
            if not LOCAL_ANCHORS.is_dir():
                pytest.skip("no %s to mount local roots over" % LOCAL_ANCHORS)
            folder = Path(scratch) / "anchors"
            shutil.copytree(LOCAL_ANCHORS, folder, symlinks=True)  # the store's links into it keep working
            for index, root in enumerate(roots):
                _write_fresh(folder / ("cadoctor-extra-%d.crt" % index), root.read_bytes())
            mount = "mount --bind %s %s" % (shlex.quote(str(folder)), LOCAL_ANCHORS)
            script = 'mount --bind "$0" %s && %s && exec "$@"' % (SYSTEM_CERTS, mount)
        prefix = ("unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", script, str(copy))
        yield OsStore(copy, prefix, hash_links)


def run_in_os_store(
    argv: Sequence[str],
    env: Mapping[str, str],
    extra_roots: Sequence[Path],
    *,
    hash_links: bool = True,
    timeout: float = CHILD_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run `argv` with exactly `env` in a private mount namespace whose /etc/ssl/certs also trusts `extra_roots`."""
    with os_store_with(*extra_roots, hash_links=hash_links) as store:
        return store.run(argv, env, timeout)
