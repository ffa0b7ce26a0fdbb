"""Connecting as an HTTP client here would: the proxy it picks, a CONNECT tunnel, one TLS handshake, the peer's chain.

Used by the fix trial in a child and by `--host` in cadoctor's own process alike.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Dict, List, Optional


class ProxyError(OSError):
    """The HTTP proxy refused or broke the CONNECT tunnel."""


def _no_proxy_match(host: str, port: int, no_proxy: str) -> bool:
    """Whether NO_PROXY exempts this host, the way requests and curl read it (names, suffixes, IPs, CIDRs)."""
    import ipaddress

    name = host.strip("[]").lower().rstrip(".")
    try:
        address: Any = ipaddress.ip_address(name)
    except ValueError:
        address = None
    for raw in no_proxy.replace(" ", ",").split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if entry.count(":") == 1 and not entry.startswith("["):
            entry, _, entry_port = entry.partition(":")
            if entry_port and entry_port != str(port):
                continue
        entry = entry.strip("[]").lstrip(".").rstrip(".")
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        if name == entry or name.endswith("." + entry):
            return True
    return False


def proxy_for(host: str, port: int, environ: Optional[Dict[str, str]] = None) -> Optional[Dict[str, Any]]:
    """The HTTP CONNECT proxy that an HTTP client here would use for https://host:port, or None."""
    env = os.environ if environ is None else environ
    value = env.get("https_proxy") or env.get("HTTPS_PROXY")
    if not value or _no_proxy_match(host, port, env.get("no_proxy") or env.get("NO_PROXY") or ""):
        return None
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(value if "://" in value else "http://" + value)
    try:
        proxy_port = parts.port or 80
    except ValueError:
        proxy_port = -1
    auth = None
    if parts.username is not None:
        auth = "%s:%s" % (unquote(parts.username), unquote(parts.password or ""))
    return {"url": value, "scheme": parts.scheme, "host": parts.hostname, "port": proxy_port, "auth": auth}


def open_connection(host: str, port: int, timeout: float, proxy: Optional[Dict[str, Any]]) -> Any:
    """A TCP connection to host:port, directly or through an HTTP CONNECT tunnel; raises OSError."""
    import socket

    if proxy is None:
        return socket.create_connection((host.strip("[]"), port), timeout=timeout)
    if proxy["scheme"] != "http" or not proxy["host"] or not 0 < proxy["port"] < 65536:
        raise ProxyError("unsupported proxy %s: only http:// proxies with a valid port" % proxy["url"])
    sock = socket.create_connection((proxy["host"], proxy["port"]), timeout=timeout)
    try:
        authority = "[%s]:%d" % (host.strip("[]"), port) if ":" in host else "%s:%d" % (host, port)
        lines = ["CONNECT %s HTTP/1.1" % authority, "Host: %s" % authority]
        if proxy.get("auth"):
            import base64

            lines.append("Proxy-Authorization: Basic " + base64.b64encode(proxy["auth"].encode()).decode("ascii"))
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        reply = b""
        import time

        until = time.monotonic() + timeout  # the whole reply within the timeout, however it is paced
        while b"\r\n\r\n" not in reply:
            remaining = until - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("the proxy %s timed out during CONNECT" % proxy["url"])
            sock.settimeout(remaining)
            chunk = sock.recv(4096)
            if not chunk:
                raise ProxyError("the proxy %s closed the connection during CONNECT" % proxy["url"])
            reply += chunk
            if len(reply) > 64 * 1024:
                raise ProxyError("the proxy %s sent an endless CONNECT reply" % proxy["url"])
        status = reply.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        fields = status.split(None, 2)
        if len(fields) < 2 or not fields[0].startswith("HTTP/") or fields[1] != "200":
            raise ProxyError("the proxy %s refused CONNECT %s: %s" % (proxy["url"], authority, status[:200]))
        if reply.index(b"\r\n\r\n") + 4 != len(reply):
            raise ProxyError("the proxy %s sent data before the tunnel opened" % proxy["url"])
    except BaseException:
        sock.close()
        raise
    return sock


def handshake(
    context: Any,
    host: str,
    port: int,
    server_name: str,
    timeout: float,
    linger: bool = True,
    meanwhile: Optional[Callable[[], None]] = None,
) -> Dict[str, Any]:
    """One TLS handshake with `context`, as an HTTP client here would make it (proxy included).

    With `linger`, wait briefly after the handshake for an alert the server sends once it has judged our
    certificate (TLS 1.3 servers do that after the client considers the handshake complete). `meanwhile`,
    if given, runs during that wait (only after a successful handshake), so the wait costs no extra time;
    what it raises is raised once the connection is closed.

    Returns what happened: `stage` (resolve, connect, proxy, handshake, after-handshake, done), the error's
    type, text, OpenSSL reason and verify code, and on success the protocol and the chain the peer sent.
    """
    import socket
    import ssl
    import time

    result: Dict[str, Any] = {"ok": False, "stage": "connect", "error": None, "error_type": None}
    proxy = proxy_for(host, port)
    result["proxy"] = None if proxy is None else proxy["url"]
    started = time.monotonic()
    try:
        raw = open_connection(host, port, timeout, proxy)
    except ProxyError as exc:
        result.update(stage="proxy", error=str(exc), error_type="ProxyError")
        return result
    except socket.gaierror as exc:
        result.update(stage="resolve", error=str(exc), error_type="gaierror")
        return result
    except (UnicodeError, ValueError) as exc:  # a name IDNA cannot encode never reaches the resolver
        result.update(stage="resolve", error="invalid host name %r: %s" % (host, exc), error_type="gaierror")
        return result
    except OSError as exc:
        result.update(error=str(exc) or type(exc).__name__, error_type=type(exc).__name__)
        return result
    result["stage"] = "handshake"
    deferred: List[BaseException] = []
    try:
        with context.wrap_socket(raw, server_hostname=server_name, do_handshake_on_connect=False) as tls:
            shake_by(tls, started + timeout)
            result["handshake_seconds"] = time.monotonic() - started
            result["protocol"] = tls.version()
            result["chain"] = _peer_chain(tls)
            result["anchor"] = _verified_anchor(tls)
            result["chain_whole"] = sys.version_info >= (3, 10)  # before, ssl shows the leaf alone
            result["stage"] = "after-handshake"
            if linger:
                # Wait one handshake's time (within bounds) for such an alert before calling it good.
                until = time.monotonic() + min(0.25, max(0.005, result["handshake_seconds"]))
                if meanwhile is not None:
                    try:
                        meanwhile()
                    except BaseException as exc:  # not the handshake's failure: raised after the close
                        deferred.append(exc)
                tls.settimeout(max(0.0005, until - time.monotonic()))
                try:  # noqa: SIM105 - importing contextlib costs more than this wait
                    tls.recv(1)
                except socket.timeout:
                    pass
            result["stage"] = "done"
            result["ok"] = True
    except ssl.SSLCertVerificationError as exc:
        result.update(
            error=str(exc),
            error_type=type(exc).__name__,
            reason=getattr(exc, "reason", None),
            verify_code=getattr(exc, "verify_code", None),
            verify_message=getattr(exc, "verify_message", None),
        )
    except ssl.SSLError as exc:
        result.update(error=str(exc), error_type=type(exc).__name__, reason=getattr(exc, "reason", None))
    except (OSError, ValueError) as exc:  # ValueError: a server name the TLS layer cannot encode
        result.update(error=str(exc) or type(exc).__name__, error_type=type(exc).__name__)
    finally:
        raw.close()
    if deferred:
        raise deferred[0]
    return result


def shake_by(tls: Any, deadline: float) -> None:
    """Complete a TLS handshake before `deadline` (time.monotonic()), however the peer paces its bytes.

    A blocking socket's timeout bounds each read alone: a server that trickles a byte a second, or sends a
    megabyte slowly, would hold a blocking handshake for as long as it likes. Non-blocking, each wait is for
    what remains of the whole. Raises socket.timeout ("timed out") when the deadline passes; the socket is left
    blocking, with the time that remains as its timeout.
    """
    import select
    import socket
    import ssl
    import time

    tls.setblocking(False)
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            readable, writable = [tls], []
        except ssl.SSLWantWriteError:
            readable, writable = [], [tls]
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("the handshake timed out: not complete within the timeout")
        ready = select.select(readable, writable, [], remaining)
        if not ready[0] and not ready[1]:
            raise socket.timeout("the handshake timed out: not complete within the timeout")
    tls.settimeout(max(0.001, deadline - time.monotonic()))


def _verified_anchor(tls: Any) -> Optional[str]:
    """The certificate verification anchored the chain at, as base64 DER (None before Python 3.10).

    A root, or an intermediate trusted as one where the context sets VERIFY_X509_PARTIAL_CHAIN.
    """
    getter = getattr(tls, "get_verified_chain", None) or getattr(tls._sslobj, "get_verified_chain", None)
    chain = getter() if getter is not None else None
    if not chain:
        return None
    top = chain[-1]
    der = top if isinstance(top, bytes) else top.public_bytes(getattr(sys.modules.get("_ssl"), "ENCODING_DER", 2))
    import base64

    return base64.b64encode(der).decode("ascii")


def _peer_chain(tls: Any) -> List[str]:
    """The certificates the peer sent, base64 DER, leaf first (only the leaf before Python 3.10)."""
    getter = getattr(tls, "get_unverified_chain", None) or getattr(tls._sslobj, "get_unverified_chain", None)
    ders: List[bytes] = []
    der = getattr(sys.modules.get("_ssl"), "ENCODING_DER", 2)  # `_ssl.Certificate.public_bytes`' DER constant
    if getter is not None:
        for cert in getter() or ():
            ders.append(cert if isinstance(cert, bytes) else cert.public_bytes(der))
    else:
        leaf = tls.getpeercert(binary_form=True)
        ders = [leaf] if leaf else []
    import base64

    return [base64.b64encode(der).decode("ascii") for der in ders]
