"""The client trial: a fix tried by the client libraries themselves, in a fresh child of the examined Python.

With a host, a fix is shown to work for a client only when that client, with the fix applied, completes a TLS
request to the host: any HTTP answer (even 404) or gRPC status proves the chain verified. A verification error
says it did not; anything else (refused, timed out, not HTTP) proves nothing either way. Without a host, each
library is asked which store it now resolves, and whether that store holds the roots it lacked. This job alone
ever imports a client library: the examined interpreter's own, which may have no cadoctor installed. uv is a
program, not a library: the uv distribution of the examined environment names its own binary (`find_uv_bin`), and
this child runs that binary once, for one direct-URL download that installs and caches nothing.
"""

import os
import sys
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

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

Verdict = Tuple[Optional[bool], str]


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


def _failure(exc: BaseException) -> Verdict:
    """A request's exception as a verdict: a TLS error is a failure, anything else proves nothing."""
    import ssl

    chain = _links(exc)
    for link in chain:
        if isinstance(link, ssl.SSLCertVerificationError):
            return False, "certificate verify failed: %s" % (link.verify_message or link.reason or link)
    for link in chain:
        if isinstance(link, ssl.SSLError) or type(link).__name__ == "SSLError":
            return False, "TLS failed: %s" % _short(link)
    return None, "no answer to judge by: %s" % _short(exc)


def _short(exc: BaseException) -> str:
    """An exception in one bounded line."""
    text = " ".join(str(exc).split())
    return "%s: %s" % (type(exc).__name__, text[:300]) if text else type(exc).__name__


def _answered(status: Any) -> Verdict:
    """An HTTP answer of any status: the chain verified."""
    return True, "the host answered HTTP %s" % status


def _through_requests(url: str, timeout: float) -> Verdict:
    """requests.get, which resolves verify= from REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or certifi as it always does."""
    with _library("requests").Session() as session:
        response = session.get(url, timeout=timeout, allow_redirects=False)
        return _answered(response.status_code)


def _through_httpx(module: str) -> Callable[[str, float], Verdict]:
    """httpx.get (or httpx2's): the SSL context its client builds at construction."""

    def run(url: str, timeout: float) -> Verdict:
        with _library(module).Client(timeout=timeout) as client:
            return _answered(client.get(url).status_code)

    return run


def _through_urllib(url: str, timeout: float) -> Verdict:
    """urllib.request.urlopen: Python's default context; an HTTP error status is still an answer."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (always https://)
            return _answered(response.status)
    except urllib.error.HTTPError as exc:
        return _answered(exc.code)


def _through_urllib3(url: str, timeout: float) -> Verdict:
    """urllib3.PoolManager with its defaults."""
    manager = _library("urllib3").PoolManager()
    try:
        return _answered(manager.request("GET", url, retries=False, timeout=timeout, redirect=False).status)
    finally:
        manager.clear()


def _through_httplib2(url: str, timeout: float) -> Verdict:
    """httplib2.Http, which reads HTTPLIB2_CA_CERTS or its own bundle."""
    response, _ = _library("httplib2").Http(timeout=timeout).request(url, "GET")
    return _answered(response.status)


def _through_aiohttp(url: str, timeout: float) -> Verdict:
    """aiohttp.ClientSession.get in a fresh event loop."""
    import asyncio

    aiohttp = _library("aiohttp")

    async def fetch() -> int:
        limit = aiohttp.ClientTimeout(total=timeout)
        async with aiohttp.ClientSession(timeout=limit) as session, session.get(url, allow_redirects=False) as got:
            return int(got.status)

    return _answered(asyncio.run(fetch()))


def _through_botocore(url: str, timeout: float) -> Verdict:
    """An unsigned S3 client of a botocore session, `url` its endpoint: verify comes from the session's config."""
    botocore = _library("botocore")
    limits = {"connect_timeout": timeout, "read_timeout": timeout, "retries": {"total_max_attempts": 1}}
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


def _through_grpc(host: str, port: int, timeout: float) -> Verdict:
    """A call on a grpc secure channel with default credentials: any status but UNAVAILABLE proves the handshake."""
    grpc = _library("grpc")
    with grpc.secure_channel("%s:%d" % (host, port), grpc.ssl_channel_credentials()) as channel:
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


def _through_pip(url: str, timeout: float) -> Verdict:
    """The session pip builds from its configuration for `pip download`, fetching one index page.

    Its internals are not an API: when they change, the answer is 'not tried', never a guess. The session is built
    as pip builds it but for its User-Agent header: pip's asks the distro library, which runs `lsb_release -a` (a
    program of its own: about a quarter of the trial's time). The header says nothing of what pip trusts.
    """
    try:
        command = _library("pip._internal.commands").create_command("download")
        options, _ = command.parse_args(["--retries", "0", "--timeout", "%g" % timeout, "--no-input"])
        made = _library("pip._internal.network.session")
        if callable(getattr(made, "user_agent", None)):
            made.user_agent = lambda: "pip/%s (cadoctor trial)" % _library("pip").__version__
        session = command._build_session(options)
    except Exception as exc:
        return None, "pip's session could not be built here: %s" % _short(exc)
    with session:
        return _answered(session.get(url + "simple/cadoctor-trial/", timeout=timeout).status_code)


def _through_google_auth_urllib3(url: str, timeout: float) -> Verdict:
    """google-auth's urllib3 transport: AuthorizedHttp builds its own PoolManager (certifi's file when it imports)."""
    credentials = _library("google.auth.credentials").AnonymousCredentials()  # sends no token
    http = _library("google.auth.transport.urllib3").AuthorizedHttp(credentials)
    return _answered(http.urlopen("GET", url, retries=False, timeout=timeout, redirect=False).status)


# uv's own words: a verification failure, a CA setting it refuses before any request, an answer from the host
_UV_REJECTED = ("invalid peer certificate",)
_UV_REFUSED = ("No CA certificates were loaded", "failed to build HTTP client")
_UV_ANSWERED = ("Failed to read metadata", "HTTP status", "Unsupported `Content-Type`", "not found in the package")
_UV_TREE = "\u2502\u251c\u2570\u2500\u25b6\u00d7 "  # the box-drawing tree uv draws its causes with
# Variables that send uv to other hosts or keep it offline: none shapes its trust, so the trial leaves them out
_UV_ELSEWHERE = ("UV_INDEX", "UV_INDEX_URL", "UV_DEFAULT_INDEX", "UV_EXTRA_INDEX_URL", "UV_FIND_LINKS", "UV_OFFLINE")


def _through_uv(url: str, timeout: float) -> Verdict:
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


def _run(route: str, host: str, port: int, timeout: float) -> Verdict:
    """One request through one library."""
    name = "[%s]" % host if ":" in host else host
    url = "https://%s:%d/" % (name, port)
    if route == "grpcio":
        return _through_grpc(name, port, timeout)
    if route == "uv":
        return _through_uv(url, timeout)
    runners: Dict[str, Callable[[str, float], Verdict]] = {
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
    }
    return runners[route](url, timeout)


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
    host, port, timeout = str(request["host"]), int(request["port"]), float(request["timeout"])
    for name in request.get("clients", []):
        route = ROUTES.get(name)
        if route is None:
            continue
        absent = False
        try:
            ok, detail = _run(route, host, port, timeout)
        except ImportError as exc:  # not a client of this interpreter: it cannot even be imported here
            ok, detail, absent = None, "it does not import here: %s" % _short(exc), True
        except Exception as exc:  # the library's own failure is the answer for it
            ok, detail = _failure(exc)
        answer["clients"][name] = {"ok": ok, "detail": detail, "via": _version(route), "absent": absent}
    return answer
