"""The client trial: a fix tried by the client libraries themselves, in a fresh child of the examined Python.

With a host, a fix is shown to work for a client only when that client, with the fix applied, completes a TLS
request to the host: any HTTP answer (even 404) or gRPC status proves the chain verified. A verification error
(or a store the library cannot load) says it did not; anything else (refused, ended by the host, timed out, not
HTTP) proves nothing either way. Without a host, each library is asked which store it now resolves, and whether
that store holds the roots it lacked. This job alone ever imports a client library: the examined interpreter's
own, which may have no cadoctor installed. uv is a program, not a library: the uv distribution of the examined
environment names its own binary (`find_uv_bin`), and this child runs that binary once, for one direct-URL download
that installs and caches nothing.
"""

import os
import sys
from typing import Any, Callable, Collection, Dict, List, Optional, Set, Tuple

# cadoctor's client name -> the library a request is made through (the others are judged by their store alone)
ROUTES = {
    "requests": "requests",
    "azure-core": "requests",  # its default transport is requests
    "google-auth": "requests",  # google.auth.transport.requests
    "httpx": "httpx",
    "openai": "httpx",
    "anthropic": "httpx",
    "httpx2": "httpx2",
    "urllib (stdlib)": "urllib",
    "urllib3": "urllib3",
    "httplib2": "httplib2",
    "aiohttp": "aiohttp",
    "botocore": "botocore",
    "grpcio": "grpcio",
    "pip": "pip",
    "google-auth/urllib3": "google-auth/urllib3",  # google.auth.transport.urllib3's own PoolManager
    "uv": "uv",
}
# What a route's version is read from, where its name is not a distribution's
_DISTRIBUTIONS = {"google-auth/urllib3": "google-auth"}
# What the C library's resolver reads to find a host, unseen by the audit hook: a request's verdict follows from it.
RESOLVER_FILES = ("/etc/hosts", "/etc/resolv.conf", "/etc/nsswitch.conf", "/etc/gai.conf", "/etc/host.conf")

Verdict = Tuple[Optional[bool], str]


class Presented:
    """The client certificate `--client-cert` named (and its key, when apart), as each library is told to present it.

    A host that requires one refuses a request without it, whatever the fix does for trust: every request of a trial
    presents it, each the way its library takes one. pip and uv take one PEM holding both: the check writes it
    (`joined`, in the trials' private scratch folder) when the key is apart; this child writes no copy of a key.
    """

    def __init__(self, cert: str, key: Optional[str], joined: Optional[str] = None) -> None:
        """The files as the check loaded them (absolute paths), and the one holding both it wrote."""
        self.cert, self.key, self.given = cert, key, joined

    def pair(self) -> Any:
        """The form requests, botocore and httpx's old `cert=` take: the file, or (certificate, key)."""
        return (self.cert, self.key) if self.key else self.cert

    def load(self, context: Any) -> Any:
        """A library's own context, made to present the certificate."""
        context.load_cert_chain(self.cert, self.key)
        return context

    def pem(self) -> Tuple[bytes, bytes]:
        """The private key's PEM and the certificate chain's, as grpc takes them (one file may hold both)."""
        with open(self.cert, "rb") as chain:
            certificate = chain.read()
        if not self.key:
            return certificate, certificate
        with open(self.key, "rb") as key:
            return key.read(), certificate

    def joined(self) -> str:
        """One PEM file with the key and the certificate, as pip's --client-cert and uv's SSL_CLIENT_CERT take."""
        if not self.key:
            return self.cert
        if not self.given:  # the check could not write it: the library cannot be handed both
            raise ValueError("no file holds the client key with its certificate")
        return self.given


def _presented(request: Dict[str, Any]) -> Optional[Presented]:
    """The client certificate a request trial presents, when the check was given one."""
    identity = request.get("identity")
    if not isinstance(identity, list) or len(identity) not in (2, 3) or not isinstance(identity[0], str):
        return None
    key, joined = [item if isinstance(item, str) else None for item in [*identity[1:], None][:2]]
    return Presented(identity[0], key, joined)


def _library(name: str) -> Any:
    """A client library of the examined Python, imported by name: only this child ever imports one."""
    from importlib import import_module

    return import_module(name)


def _links(exc: BaseException) -> List[BaseException]:
    """The exception and everything it wraps: causes, contexts, and the errors libraries keep in attributes."""
    seen: Set[int] = set()
    found: List[BaseException] = []
    todo = [exc]
    while todo and len(found) < 32:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        found.append(current)
        inner = [current.__cause__, current.__context__]
        inner += [getattr(current, name, None) for name in ("reason", "error", "os_error", "certificate_error")]
        inner += list(getattr(current, "args", ()) or ())[:4]
        kwargs = getattr(current, "kwargs", None)
        inner += list(kwargs.values())[:8] if isinstance(kwargs, dict) else []
        todo.extend(item for item in inner if isinstance(item, BaseException))
    return found


# The marks of an exchange the peer ended: OpenSSL's reason for an alert it sent (SSLV3_ALERT_..., TLSV1_ALERT_...,
# TLSV13_ALERT_..., and TLSV1_UNRECOGNIZED_NAME and its kin), or the connection's end without one, in OpenSSL's words
# or CPython's (a server that drops a client it will not serve, under TLS 1.3 often after the client thinks the
# handshake done). A library that wraps the error may keep only its text.
_ENDED_BY_PEER = (
    "SSLV3_ALERT_",
    "TLSV1_",
    "TLSV13_",
    "UNEXPECTED_EOF",
    "EOF occurred in violation of protocol",
    "connection has been closed (EOF)",
)


def _failure(exc: BaseException, refused: Collection[str] = ()) -> Verdict:
    """A request's exception as a verdict: a failed verification, or a store that cannot be loaded, is a failure.

    Anything else proves nothing. `refused`: OpenSSL's reasons for the alerts a peer sends to reject a certificate
    (the check's one table of them, `_rules/certificate_alerts.py`, sent with the request). Received by a client,
    such an alert came after it had verified the server: the server refused the client's certificate (or its
    absence), which says nothing of the fix, and the verdict says so. Another alert, or the connection's end in the
    middle of the exchange, is the host ending it for its own reasons (a protocol it will not speak, a client it
    will not serve): this side's verification would have raised its own error first.
    """
    import ssl

    chain = _links(exc)
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return False, "certificate verify failed: %s" % (link.verify_message or link.reason or link)
    errors = [link for link in chain if isinstance(link, ssl.SSLError) or type(link).__name__ == "SSLError"]
    readings = [(link, str(link), _reason(link)) for link in errors]  # a wrapper may keep OpenSSL's words in its text
    for link, text, reason in readings:
        if reason in refused or any(known in text for known in refused):
            return None, "the host refused the client certificate (--client-cert): %s" % _short(link)
    for link, text, reason in readings:
        ended = isinstance(link, (ssl.SSLEOFError, ssl.SSLZeroReturnError))
        if ended or any(mark in reason or mark in text for mark in _ENDED_BY_PEER):
            return None, "the host ended the exchange, which says nothing of trust: %s" % _short(link)
    if errors:
        return False, "TLS failed: %s" % _short(errors[0])
    return None, "no answer to judge by: %s" % _short(exc)


def _reason(error: BaseException) -> str:
    """OpenSSL's reason an SSL error carries, or empty: a library's own SSLError may keep anything there."""
    reason = getattr(error, "reason", None)
    return reason if isinstance(reason, str) else ""


def _short(exc: BaseException) -> str:
    """An exception in one bounded line."""
    text = " ".join(str(exc).split())
    return "%s: %s" % (type(exc).__name__, text[:300]) if text else type(exc).__name__


def _answered(status: Any) -> Verdict:
    """An HTTP answer of any status: the chain verified."""
    return True, "the host answered HTTP %s" % status


def _through_requests(url: str, timeout: float, presented: Optional[Presented]) -> Verdict:
    """requests.get, which resolves verify= from REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or certifi as it always does."""
    with _library("requests").Session() as session:
        cert = presented.pair() if presented else None
        response = session.get(url, timeout=timeout, allow_redirects=False, cert=cert)
        return _answered(response.status_code)


def _through_httpx(module: str) -> Callable[[str, float, Optional[Presented]], Verdict]:
    """httpx.get (or httpx2's): the SSL context its client builds at construction.

    A client certificate goes on the context httpx itself makes for a client (`create_ssl_context()`: its own
    reading of SSL_CERT_FILE, SSL_CERT_DIR and certifi), handed back as `verify=`, as its docs say to.
    """

    def run(url: str, timeout: float, presented: Optional[Presented]) -> Verdict:
        library = _library(module)
        options = {"verify": presented.load(library.create_ssl_context())} if presented else {}
        with library.Client(timeout=timeout, **options) as client:
            return _answered(client.get(url).status_code)

    return run


def _through_urllib(url: str, timeout: float, presented: Optional[Presented]) -> Verdict:
    """urllib.request.urlopen: Python's default context; an HTTP error status is still an answer.

    A client certificate goes on the context urllib would make itself (`ssl._create_default_https_context`, which
    PYTHONHTTPSVERIFY may have changed), allowed after the handshake too, as http.client allows it.
    """
    import urllib.error
    import urllib.request

    context = None
    if presented is not None:
        import ssl

        context = presented.load(ssl._create_default_https_context())
        if getattr(context, "post_handshake_auth", None) is not None:
            context.post_handshake_auth = True
    try:
        with urllib.request.urlopen(url, timeout=timeout, context=context) as response:  # noqa: S310 (https://)
            return _answered(response.status)
    except urllib.error.HTTPError as exc:
        return _answered(exc.code)


def _through_urllib3(url: str, timeout: float, presented: Optional[Presented]) -> Verdict:
    """urllib3.PoolManager with its defaults (and the client certificate, as `cert_file`/`key_file`)."""
    identity = {"cert_file": presented.cert, "key_file": presented.key} if presented else {}
    manager = _library("urllib3").PoolManager(**identity)
    try:
        return _answered(manager.request("GET", url, retries=False, timeout=timeout, redirect=False).status)
    finally:
        manager.clear()


def _through_httplib2(url: str, timeout: float, presented: Optional[Presented]) -> Verdict:
    """httplib2.Http, which reads HTTPLIB2_CA_CERTS or its own bundle (a client certificate for every domain)."""
    http = _library("httplib2").Http(timeout=timeout)
    if presented is not None:
        http.add_certificate(presented.key, presented.cert, "")
    response, _ = http.request(url, "GET")
    return _answered(response.status)


def _through_aiohttp(url: str, timeout: float, presented: Optional[Presented]) -> Verdict:
    """aiohttp.ClientSession.get in a fresh event loop.

    aiohttp takes a client certificate only on a context of the caller's: a default context, as aiohttp's own.
    """
    import asyncio

    aiohttp = _library("aiohttp")
    options: Dict[str, Any] = {}
    if presented is not None:
        import ssl

        options["ssl"] = presented.load(ssl.create_default_context())

    async def fetch() -> int:
        limit = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(timeout=limit) as session:  # noqa: SIM117 - 3.8 has no parenthesised with
            async with session.get(url, allow_redirects=False, **options) as got:
                return int(got.status)

    return _answered(asyncio.run(fetch()))


def _through_botocore(url: str, timeout: float, presented: Optional[Presented]) -> Verdict:
    """An unsigned S3 client of a botocore session, `url` its endpoint: verify comes from the session's config."""
    botocore = _library("botocore")
    limits: Dict[str, Any] = {"connect_timeout": timeout, "read_timeout": timeout}
    limits["retries"] = {"total_max_attempts": 1}
    if presented is not None:
        limits["client_cert"] = presented.pair()
    config = _library("botocore.config").Config(signature_version=botocore.UNSIGNED, **limits)  # no credentials
    errors = _library("botocore.exceptions")
    session = _library("botocore.session").get_session()
    client = session.create_client("s3", endpoint_url=url, region_name="us-east-1", config=config)
    try:
        client.list_buckets()
    except errors.ClientError as exc:
        return _answered(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode"))
    except errors.ResponseParserError:
        return True, "the host answered (not with S3 XML)"
    return _answered(200)


def _through_grpc(host: str, port: int, timeout: float, presented: Optional[Presented]) -> Verdict:
    """A call on a grpc secure channel with default credentials: any status but UNAVAILABLE proves the handshake."""
    grpc = _library("grpc")
    identity: Dict[str, bytes] = {}
    if presented is not None:
        identity["private_key"], identity["certificate_chain"] = presented.pem()
    with grpc.secure_channel("%s:%d" % (host, port), grpc.ssl_channel_credentials(**identity)) as channel:
        call = channel.unary_unary("/cadoctor.Trial/Check")
        try:
            call(b"", timeout=timeout)
        except grpc.RpcError as exc:
            code, details = exc.code(), " ".join(str(exc.details()).split())[:300]
            if code not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                return True, "the host answered gRPC %s" % code.name
            if any(word in details.upper() for word in ("CERTIFICATE_VERIFY_FAILED", "HANDSHAKE", "SSL")):
                return False, "TLS failed: %s" % details
            return None, "no answer to judge by: %s %s" % (code.name, details)
        return True, "the host answered gRPC OK"


def _through_pip(url: str, timeout: float, presented: Optional[Presented]) -> Verdict:
    """The session pip builds from its configuration for `pip download`, fetching one index page.

    Its internals are not an API: when they change, the answer is 'not tried', never a guess. The session is built
    as pip builds it but for its User-Agent header: pip's asks the distro library, which runs `lsb_release -a` (a
    program of its own: about a quarter of the trial's time). The header says nothing of what pip trusts.
    """
    try:
        command = _library("pip._internal.commands").create_command("download")
        arguments = ["--retries", "0", "--timeout", "%g" % timeout, "--no-input"]
        arguments += ["--client-cert", presented.joined()] if presented else []
        options, _ = command.parse_args(arguments)
        made = _library("pip._internal.network.session")
        if callable(getattr(made, "user_agent", None)):
            made.user_agent = lambda: "pip/%s (cadoctor trial)" % _library("pip").__version__
        session = command._build_session(options)
    except Exception as exc:
        return None, "pip's session could not be built here: %s" % _short(exc)
    with session:
        return _answered(session.get(url + "simple/cadoctor-trial/", timeout=timeout).status_code)


def _through_google_auth_urllib3(url: str, timeout: float, presented: Optional[Presented]) -> Verdict:
    """google-auth's urllib3 transport: AuthorizedHttp builds its own PoolManager (certifi's file when it imports).

    A client certificate joins the keywords that PoolManager opens its connections with.
    """
    credentials = _library("google.auth.credentials").AnonymousCredentials()  # sends no token
    http = _library("google.auth.transport.urllib3").AuthorizedHttp(credentials)
    if presented is not None:
        http.http.connection_pool_kw.update(cert_file=presented.cert, key_file=presented.key)
    return _answered(http.urlopen("GET", url, retries=False, timeout=timeout, redirect=False).status)


# uv's own words: a verification failure, a CA setting it refuses before any request, an answer from the host
_UV_REJECTED = ("invalid peer certificate",)
_UV_REFUSED = ("No CA certificates were loaded", "failed to build HTTP client")
_UV_ANSWERED = ("Failed to read metadata", "HTTP status", "Unsupported `Content-Type`", "not found in the package")
_UV_TREE = "\u2502\u251c\u2570\u2500\u25b6\u00d7 "  # the box-drawing tree uv draws its causes with
# Variables that send uv to other hosts or keep it offline: none shapes its trust, so the trial leaves them out
_UV_ELSEWHERE = ("UV_INDEX", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "UV_OFFLINE")


def _through_uv(url: str, timeout: float, presented: Optional[Presented]) -> Verdict:
    """The examined environment's uv binary resolving one direct-URL wheel from the host, writing nothing.

    `uv pip compile - --no-index --no-cache` reads the one requirement from stdin and prints a resolution: no
    index is asked, no cache or environment is written, and its CA variables and configuration are the process's.
    """
    import subprocess

    try:
        binary = _library("uv").find_uv_bin()  # the distribution's own resolver: never a name looked up on PATH
    except Exception as exc:
        return None, "uv's binary was not found by its package here: %s" % _short(exc)
    env = {k: v for k, v in os.environ.items() if k not in _UV_ELSEWHERE}
    env.update({"UV_HTTP_RETRIES": "0", "UV_HTTP_TIMEOUT": "%d" % max(1, int(timeout)), "NO_COLOR": "1"})
    env.update({"UV_NO_PROGRESS": "1", "UV_PYTHON_DOWNLOADS": "never"})
    if presented is not None:
        env["SSL_CLIENT_CERT"] = presented.joined()  # uv's one way to present a client certificate
    argv = [str(binary), "pip", "compile", "-", "--no-index", "--no-cache", "--no-header"]
    requirement = "cadoctor-trial @ %scadoctor_trial-0-py3-none-any.whl\n" % url
    try:
        done = subprocess.run(
            [*argv, "--python", sys.executable],
            input=requirement.encode(),
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            timeout=timeout + 15,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return None, "uv could not be run: %s" % _short(exc)
    lines = [_uv_line(line) for line in done.stdout[-65536:].decode("utf-8", "replace").splitlines()]
    lines = [line for line in lines if line]
    for words, verdict in ((_UV_REJECTED, False), (_UV_REFUSED, False), (_UV_ANSWERED, True)):
        said = next((line for word in words for line in lines if word in line), None)  # the first word says most
        if said is not None:
            return verdict, ("the host answered: %s" % said if verdict else said)[:300]
    if done.returncode == 0:
        return True, "the host answered: uv resolved the wheel"
    return None, "no answer to judge by: %s" % (" | ".join(lines[-3:])[:300] or "uv exited %d" % done.returncode)


def _uv_line(line: str) -> str:
    """One line of uv's report without its tree drawing and its `error:`/`cause:` lead."""
    line = " ".join(line.split()).strip(_UV_TREE)
    for lead in ("error: ", "cause: "):
        line = line[len(lead) :] if line.startswith(lead) else line
    return line


def _run(route: str, host: str, port: int, timeout: float, presented: Optional[Presented]) -> Verdict:
    """One request through one library, presenting the client certificate when the check was given one."""
    name = "[%s]" % host if ":" in host else host
    url = "https://%s:%d/" % (name, port)
    if route == "grpcio":
        return _through_grpc(name, port, timeout, presented)
    runners: Dict[str, Callable[[str, float, Optional[Presented]], Verdict]] = {
        "requests": _through_requests,
        "httpx": _through_httpx("httpx"),
        "httpx2": _through_httpx("httpx2"),
        "urllib": _through_urllib,
        "urllib3": _through_urllib3,
        "httplib2": _through_httplib2,
        "aiohttp": _through_aiohttp,
        "botocore": _through_botocore,
        "pip": _through_pip,
        "google-auth/urllib3": _through_google_auth_urllib3,
        "uv": _through_uv,
    }
    return runners[route](url, timeout, presented)


def _resolved_store(name: str) -> Tuple[Optional[str], Any]:
    """The CA file a client library uses here, as the library itself resolves it (or the SSLContext it builds).

    The library decides, not a copy of its rules. Returns (path, None), or (None, context) for clients that
    only expose a built context; (None, None) for clients on Python's own default paths.
    """
    if name in ("requests", "azure-core", "google-auth"):
        requests = _library("requests")
        verify = requests.Session().merge_environment_settings("https://cadoctor.invalid/", {}, None, None, None)
        return (requests.certs.where() if verify["verify"] is True else str(verify["verify"])), None
    if name in ("httpx", "httpx2", "openai", "anthropic"):
        from importlib.util import find_spec

        modern = name in ("httpx2", "openai", "anthropic") and find_spec("httpx2") is not None
        return None, _library("httpx2" if modern else "httpx").create_ssl_context()
    if name == "botocore":
        configured = _library("botocore.session").get_session().get_config_variable("ca_bundle")
        return configured or os.environ.get("REQUESTS_CA_BUNDLE") or _library("botocore.httpsession").where(), None
    if name == "httplib2":
        return _library("httplib2").CA_CERTS, None
    if name == "grpcio":
        variable = os.environ.get("GRPC_DEFAULT_SSL_ROOTS_FILE_PATH")
        own = os.path.join(_package_folder("grpc"), "_cython", "_credentials", "roots.pem")
        return (variable if variable and os.path.isfile(variable) else own), None  # C-core falls back the same way
    return None, None


def _package_folder(name: str) -> str:
    """Where the import system finds a package, found as `import` finds it, without running its `__init__`.

    grpc's `__init__` loads its whole C core (about 50 ms); its bundled roots are found beside the file the
    import system would run.
    """
    from importlib.util import find_spec

    spec = find_spec(name)
    if spec is None or not spec.origin:
        raise ModuleNotFoundError("No module named %r" % name, name=name)
    return os.path.dirname(spec.origin)


def _stores(names: List[str], samples: List[bytes], taken: Optional[Callable[[Any], None]] = None) -> Dict[str, Any]:
    """For each client, the store it resolves in this environment and how many of the sample roots it holds.

    A CA file is loaded once however many clients resolve it: what OpenSSL holds from it is the same for each.
    `taken` is told of each file before OpenSSL reads it.
    """
    import ssl

    taken = taken or (lambda path: None)
    results: Dict[str, Any] = {}
    loaded: Dict[str, Any] = {}  # path -> the certificates OpenSSL loaded from it, or the error it raised
    for name in names:
        try:
            path, built = _resolved_store(name)
            taken(path)
            if path and not os.path.isfile(path):  # a FIFO or a device is never opened: it could block
                raise ValueError("%s is not a regular file" % path)
            if built is not None:
                held = set(built.get_ca_certs(binary_form=True))
            else:  # the file the library would load, loaded the way it would: one it cannot load fails here too
                cafile = path or ssl.get_default_verify_paths().cafile
                taken(cafile)
                held = _loaded(cafile, loaded)
            store = path or ("its SSLContext" if built is not None else "OpenSSL's default CA file")
            result = {"store": store, "trusted": sum(der in held for der in samples), "error": None}
        except Exception as exc:  # the client itself failed: that is the answer for it
            result = {"store": None, "trusted": 0, "error": _short(exc)}
        result["tried"] = len(samples)
        results[name] = result
    return results


def _loaded(cafile: Optional[str], loaded: Dict[Any, Any]) -> Set[bytes]:
    """The certificates a default context made with `cafile` holds, loaded once per file (raises what it raised)."""
    import ssl

    if cafile not in loaded:
        try:
            context = ssl.create_default_context(cafile=cafile)
            loaded[cafile] = set(context.get_ca_certs(binary_form=True))
        except Exception as exc:
            loaded[cafile] = exc
    held = loaded[cafile]
    if isinstance(held, Exception):
        raise held
    return set(held)


def _version(route: str) -> str:
    """The installed version of the library a request went through, as its metadata says."""
    if route == "urllib":
        return "Python %d.%d" % sys.version_info[:2]
    try:
        from importlib.metadata import version

        return "%s %s" % (route, version(_DISTRIBUTIONS.get(route, route)))
    except Exception:
        return route


def trial(request: Dict[str, Any]) -> Dict[str, Any]:
    """Apply the requested injection, then make one request to the host through each client's library.

    Without a host, ask each library which store it resolves and whether that store holds the sample roots.
    """
    answer: Dict[str, Any] = {"error": None, "clients": {}}
    if "host" not in request:
        import base64

        samples = [base64.b64decode(item) for item in request.get("samples", [])]
        if not request.get("depends"):
            answer["stores"] = _stores(list(request.get("clients", [])), samples)
            return answer
        from .depends import Depends

        with Depends() as depends:  # what the answer follows from, for a verdict kept between checks
            answer["stores"] = _stores(list(request.get("clients", [])), samples, depends.take)
        answer["depends"], answer["mapped"] = depends.listed(), depends.mapped
        return answer
    if request.get("inject") == "truststore":
        try:
            _library("truststore").inject_into_ssl()  # first, before any client is built: as the fix says to do
        except ImportError:
            answer["error"] = "truststore is not installed in %s" % sys.executable
            return answer
    if not request.get("depends"):
        answer["clients"] = _requests(request)
        return answer
    from .depends import Depends

    with Depends() as depends:  # what the verdicts follow from, besides the host: kept between checks
        for path in RESOLVER_FILES:
            depends.take(path)
        answer["clients"] = _requests(request)
    answer["depends"], answer["mapped"] = depends.listed(), depends.mapped
    return answer


def _requests(request: Dict[str, Any]) -> Dict[str, Any]:
    """One request to the host through each client's library: each client's verdict, its words, its version."""
    host, port, timeout = str(request["host"]), int(request["port"]), float(request["timeout"])
    presented = _presented(request)
    results: Dict[str, Any] = {}
    for name in request.get("clients", []):
        route = ROUTES.get(name)
        if route is None:
            continue
        absent = False
        try:
            ok, detail = _run(route, host, port, timeout, presented)
        except ImportError as exc:  # not a client of this interpreter: it cannot even be imported here
            ok, detail, absent = None, "it does not import here: %s" % _short(exc), True
        except Exception as exc:  # the library's own failure is the answer for it
            ok, detail = _failure(exc, request.get("refused") or ())
        results[name] = {"ok": ok, "detail": detail, "via": _version(route), "absent": absent}
    return results
