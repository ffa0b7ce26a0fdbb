"""Ground truth from real TLS clients: one request through a named library, in a fresh interpreter of a client venv.

- `outcome(python, client, port, env)`: "Y" (verified: an HTTP or gRPC answer came back from
  `servers.serve_clients`), "N" (certificate verification failed) or "X" (the client raised because of its CA
  setting: a missing or unreadable bundle, an empty path it rejects). Anything else (refused, timed out, a crash)
  raises `OutcomeError` with the child's output, so a broken harness never passes for a verdict. `observe`
  returns the same with the evidence.
- `Measurements`: each (interpreter, client, scenario) measured once per session, for every test that needs it.

Client venvs come from `venvs.clients_venv()` and friends; `environment.child_env()` is the clean environment
to start from (it keeps host pip and AWS config files out, which CLIENTS.md also switched off); a private OS
store comes from `os_store`.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpers.environment import child_env
from helpers.os_store import OsStore, os_store_with, subject_hash
from helpers.pki import GeneratedCA, make_ca

CHILD_TIMEOUT = 20.0  # the whole child: interpreter start, imports, one request
CLIENT_TIMEOUT = 10.0  # what each library is told for connect/read
MARK = "CADOCTOR-OUTCOME "

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
    its config files unless PIP_CONFIG_FILE is os.devnull, as `environment.child_env` sets it.
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
    cwd: Path | None = None,
) -> Observation:
    """One request through `client` to `serve_clients` on 127.0.0.1:`port` under the name `server_name`.

    The child is `python` (a client venv's interpreter) started with exactly `env`, in an empty directory (or
    `cwd`, from which relative CA paths are read), after `prefix` (e.g. `OsStore.prefix`, to run it with a
    private /etc/ssl/certs).
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
                cwd=scratch if cwd is None else cwd,
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
    # a setting pip does not know, or cannot act on, stops it before any request (pip 24.1 and
    # PIP_USE_DEPRECATED=legacy-certs; pip 23.2 and PIP_USE_FEATURE=truststore without truststore installed)
    refused += [line for line in lines if line.startswith("An error occurred during configuration")]
    refused += [line for line in lines if line.startswith("ERROR: To use the truststore feature")]
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


BOTOCORE_WHERE = "import botocore.httpsession as h; print(h.where())"  # the bundle botocore verifies with


@dataclass(frozen=True)
class Column:
    """One column of CLIENTS.md's matrix: what each variable names, and whether the OS store holds the root.

    `values` pairs a variable with what it names: `root` (the server's root as a PEM file), `hashed` (a folder
    holding it under its subject-hash name), `missing` (a path that is not there), `empty` (''), `unrelated` (a
    file, or for SSL_CERT_DIR a hashed folder, with another root only), `unhashed` (a folder holding the root
    under another name), `relative-root` and `relative-hashed` (the root's file and hashed folder named relative
    to the working directory the column runs in: see `Measurements.cwd`), or `=text` (that text: a switch).
    """

    values: tuple[tuple[str, str], ...] = ()
    os_store: bool = False


# Where the server's root is, by CLIENTS.md's column (and `none`: in no store at all).
SCENARIOS: dict[str, Column] = {
    "none": Column(),
    "S1": Column(os_store=True),  # only in the OS store: a private copy of /etc/ssl/certs, see `Measurements.prefix`
    "S2": Column((("SSL_CERT_FILE", "root"),)),
    "S3": Column((("SSL_CERT_DIR", "hashed"),)),
    "S4": Column((("REQUESTS_CA_BUNDLE", "root"),)),
    "S5": Column((("CURL_CA_BUNDLE", "root"),)),
    "grpc-roots": Column((("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", "root"),)),
}
# The matrix's other columns: S6 (a library's own variable names the root); D (a variable names a missing path,
# the root in the OS store), E (an empty variable, the same); U (a variable names another root, the server's is in
# the OS store: does the value add to the store, replace it, or fail); switches that move a client to the OS store.
LIBRARY_VARIABLES = ("AWS_CA_BUNDLE", "PIP_CERT", "HTTPLIB2_CA_CERTS", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH")
READ_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", *LIBRARY_VARIABLES)
SWITCHES = (
    ("PIP_USE_FEATURE", "truststore"),
    ("PIP_USE_DEPRECATED", "legacy-certs"),
    ("GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK", "true"),
    ("UV_NATIVE_TLS", "1"),
    ("UV_SYSTEM_CERTS", "1"),
)
SCENARIOS.update({"S6 " + name: Column(((name, "root"),)) for name in LIBRARY_VARIABLES})
for _name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", *LIBRARY_VARIABLES):
    SCENARIOS["D %s missing" % _name] = Column(((_name, "missing"),), os_store=True)
for _name in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", *LIBRARY_VARIABLES):
    SCENARIOS["E %s=''" % _name] = Column(((_name, "empty"),), os_store=True)
for _name in READ_VARIABLES:
    SCENARIOS["U %s unrelated" % _name] = Column(((_name, "unrelated"),), os_store=True)
for _name, _value in SWITCHES:
    SCENARIOS["%s=%s" % (_name, _value)] = Column(((_name, "=" + _value),), os_store=True)
for _name in ("SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE"):  # read from the working directory
    SCENARIOS["%s relative file" % _name] = Column(((_name, "relative-root"),))
    SCENARIOS["%s relative folder" % _name] = Column(((_name, "relative-hashed"),))
for _kind in ("hashed", "unhashed"):  # grpc's system folder, read file by file once its switch puts it first
    SCENARIOS["GRPC_SYSTEM_SSL_ROOTS_DIR %s" % _kind] = Column(
        (("GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK", "=true"), ("GRPC_SYSTEM_SSL_ROOTS_DIR", _kind))
    )


class Measurements:
    """The real clients' verdicts on one loopback server, each (interpreter, client, scenario) measured once.

    The CLIENTS.md agreement (tests/clients/test_clients_ground_truth.py) and cadoctor's prediction
    (test_clients_predicted.py) both assert against these, measured the first time either asks: one session
    runs each real client once per scenario. The OS store of S1 is entered on first use, so only S1 needs root.
    """

    def __init__(self, ca: GeneratedCA, port: int, scratch: Path, stack: contextlib.ExitStack) -> None:
        self.ca = ca
        self.port = port
        self._scratch = scratch
        self._stack = stack
        self._store: OsStore | None = None
        self._seen: dict[tuple[str, str, str], Observation] = {}
        self._said: dict[tuple[str, str], str] = {}
        self._other: GeneratedCA | None = None

    def env(self, scenario: str) -> dict[str, str]:
        """The clean environment of a scenario: its variables, each naming what its column says."""
        return child_env(**{name: self._value(name, kind) for name, kind in SCENARIOS[scenario].values})

    def _value(self, variable: str, kind: str) -> str:
        """The text a variable is set to in a column (files made once, in this session's scratch folder)."""
        if kind.startswith("="):
            return kind[1:]
        if kind == "empty":
            return ""
        if kind == "missing":
            return str(self._scratch / "missing.pem")
        if kind.startswith("relative-"):  # made in `cwd`
            return "root.pem" if kind == "relative-root" else "hashed"
        if kind == "unhashed":
            folder = self._scratch / "unhashed"
            if not folder.is_dir():
                folder.mkdir()
                (folder / "root.pem").write_bytes(self.ca.bundle.read_bytes())
            return str(folder)
        ca = self.ca if kind in ("root", "hashed") else self._unrelated()
        if kind == "hashed" or variable == "SSL_CERT_DIR":
            folder = self._scratch / ("hashed" if ca is self.ca else "hashed-unrelated")
            if not folder.is_dir():
                folder.mkdir()
                (folder / ("%s.0" % subject_hash(ca.bundle))).write_bytes(ca.bundle.read_bytes())
            return str(folder)
        return str(ca.bundle)

    def cwd(self, scenario: str) -> Path | None:
        """Where a column runs: a folder holding the root's file and hashed folder, when it names them relatively."""
        if not any(kind.startswith("relative-") for _, kind in SCENARIOS[scenario].values):
            return None
        here = self._scratch / "here"
        if not here.is_dir():
            (here / "hashed").mkdir(parents=True)
            (here / "root.pem").write_bytes(self.ca.bundle.read_bytes())
            (here / "hashed" / ("%s.0" % subject_hash(self.ca.bundle))).write_bytes(self.ca.bundle.read_bytes())
        return here

    def _unrelated(self) -> GeneratedCA:
        """Another root, which signed nothing the server sends: a value that names a real store without its root."""
        if self._other is None:
            self._other = make_ca(self._scratch / "unrelated", "cadoctor Unrelated Root")
        return self._other

    def prefix(self, scenario: str) -> tuple[str, ...]:
        """What runs a command in the scenario: a private OS store holding the root (needs root), or nothing."""
        if not SCENARIOS[scenario].os_store:
            return ()
        if self._store is None:
            self._store = self._stack.enter_context(os_store_with(self.ca.bundle))
        return self._store.prefix

    def observe(self, python: os.PathLike[str] | str, client: str, scenario: str) -> Observation:
        """One request through `client` in `python` under the scenario, made once per session."""
        key = (os.fspath(python), client, scenario)
        if key not in self._seen:
            env, prefix, cwd = self.env(scenario), self.prefix(scenario), self.cwd(scenario)
            self._seen[key] = observe(python, client, self.port, env, prefix=prefix, cwd=cwd)
        return self._seen[key]

    def outcome(self, python: os.PathLike[str] | str, client: str, scenario: str) -> str:
        """Y, N or X, as `observe` measured it."""
        return self.observe(python, client, scenario).code

    def matrix(
        self, python: os.PathLike[str] | str, scenario: str, names: Sequence[str] = tuple(CLIENTS)
    ) -> dict[str, Observation]:
        """Each named client's observation in the scenario (a column of CLIENTS.md), the clients side by side.

        Each is a child of its own that waits mostly on its imports and the loopback server, so a few run at once.
        """
        prefix = self.prefix(scenario)  # the OS store is entered here, before any thread asks for it
        todo = [n for n in names if (os.fspath(python), n, scenario) not in self._seen]
        env, cwd = self.env(scenario), self.cwd(scenario)
        with ThreadPoolExecutor(max_workers=4) as pool:
            found = pool.map(lambda n: observe(python, n, self.port, env, prefix=prefix, cwd=cwd), todo)
            for name, seen in zip(todo, found):
                self._seen[(os.fspath(python), name, scenario)] = seen
        return {name: self.observe(python, name, scenario) for name in names}

    def says(self, python: os.PathLike[str] | str, code: str) -> str:
        """What the library itself prints, imported in that venv with a clean environment, asked once."""
        key = (os.fspath(python), code)
        if key not in self._said:
            self._said[key] = python_output(python, code, child_env())
        return self._said[key]
