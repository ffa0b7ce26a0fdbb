"""Live handshakes for `cadoctor check --host`: classify a failure, describe the chain, find who holds its root."""

from __future__ import annotations

import binascii
import contextlib
from collections.abc import Callable, Iterable, Mapping

from cadoctor._errors import ClientCertificateError
from cadoctor._facts.child import connect
from cadoctor._model import Bundle, ChainCertificate, HostCheck, RootHolder, StoreVerdict
from cadoctor._record import record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from typing import Any

DEFAULT_PORT = 443


DEFAULT_TIMEOUT = 10.0  # seconds per handshake


_UNTRUSTED = {2, 18, 19, 20, 27}  # verify codes: no trusted root (or a self-signed leaf) in reach


_ALERTS_ABOUT_OUR_CERTIFICATE = {
    "TLSV1_ALERT_UNKNOWN_CA",
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    "SSLV3_ALERT_CERTIFICATE_REVOKED",
    "TLSV13_ALERT_CERTIFICATE_REQUIRED",
    "TLSV1_ALERT_ACCESS_DENIED",
}


_NOT_TLS = {
    "WRONG_VERSION_NUMBER",
    "RECORD_LAYER_FAILURE",
    "PACKET_LENGTH_TOO_LONG",
    "HTTP_REQUEST",
    "HTTPS_PROXY_REQUEST",
    "UNKNOWN_PROTOCOL",
    "RECORD_LENGTH_MISMATCH",
}


_BY_VERIFY_CODE = {
    9: "host-not-yet-valid",
    10: "host-expired",
    21: "host-incomplete-chain",
    62: "host-hostname-mismatch",
    63: "host-hostname-mismatch",  # email address mismatch
    64: "host-hostname-mismatch",  # IP address mismatch
}


_CLOSED = {"SSLEOFError", "SSLZeroReturnError", "ConnectionResetError", "ConnectionAbortedError", "BrokenPipeError"}


def parse_target(text: str) -> tuple[str, int]:
    """Read HOST, HOST:PORT, [IPv6]:PORT, a bare IPv6 literal or an https:// URL; raise ValueError if invalid."""
    value = text.strip()
    if "://" in value:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme != "https":
            raise ValueError("only https:// URLs name a TLS endpoint: %r" % text)
        value = parts.netloc.rpartition("@")[2]
    if value.count(":") > 1 and not value.startswith("["):
        host, port_text = value, ""  # a bare IPv6 literal
    elif value.startswith("["):
        host, bracket, rest = value[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError("invalid target %r" % text)
        port_text = rest[1:]
    else:
        host, _, port_text = value.partition(":")
    if not host or any(ch.isspace() or ch in "/@[]" for ch in host):
        raise ValueError("invalid host in %r" % text)
    if value.startswith("[") or host.count(":") > 1:
        import ipaddress

        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise ValueError("invalid IPv6 address in %r" % text) from None
    if not port_text:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError("invalid port %r in %r: expected 1-65535" % (port_text, text))
    return host, int(port_text)


def classify(outcome: Mapping[str, Any]) -> str | None:
    """Turn one handshake's outcome into a `host-*` code: the verify code, the alert, then the socket state."""
    if outcome.get("ok"):
        return None
    stage = outcome.get("stage")
    error_type = str(outcome.get("error_type") or "")
    reason = str(outcome.get("reason") or "").upper()
    text = str(outcome.get("error") or "").lower()
    if stage in ("invalid", "resolve", "proxy"):
        return "host-unreachable"
    if error_type in ("timeout", "TimeoutError", "SSLTimeoutError") or "timed out" in text:
        return "host-timeout"
    if stage == "connect":
        return "host-unreachable"
    code = outcome.get("verify_code")
    if code is not None:
        if code in _BY_VERIFY_CODE:
            return _BY_VERIFY_CODE[code]
        return "host-unknown-ca" if code in _UNTRUSTED else "host-handshake-failure"
    if reason in _ALERTS_ABOUT_OUR_CERTIFICATE:
        return "host-client-cert-rejected"
    if reason in _NOT_TLS:
        return "host-not-tls"
    if reason == "UNEXPECTED_EOF_WHILE_READING" or error_type in _CLOSED or "eof occurred" in text:
        return "host-connection-reset"
    return "host-handshake-failure"


def default_context(client_cert: str | None = None, client_key: str | None = None) -> ssl.SSLContext:
    """Exactly the context the process would use by default, plus the client certificate if one was given."""
    import ssl

    context = ssl.create_default_context()
    if client_cert:
        try:
            context.load_cert_chain(client_cert, client_key)
        except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError: garbage, wrong key, no permission
            named = client_cert if client_key is None else "%s (key %s)" % (client_cert, client_key)
            raise ClientCertificateError(
                "cannot load the client certificate %s: %s" % (named, getattr(exc, "strerror", None) or exc)
            ) from None
    return context


def describe_chain(ders: Iterable[bytes]) -> tuple[ChainCertificate, ...]:
    """Subject, issuer, validity and key identifiers of each certificate the server presented (read from DER)."""
    from cadoctor._facts.certs.der import MalformedDER, describe

    described = []
    for der in ders:
        try:
            described.append(describe(der))
        except (MalformedDER, ValueError, IndexError):
            continue
    return tuple(described)


def _looker(maximum: Any = None) -> ssl.SSLContext:
    """A context that reads what a server presents without judging it (it is never used to send data)."""
    import ssl

    looker = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    looker.check_hostname = False
    looker.verify_mode = ssl.CERT_NONE
    if maximum is not None:
        looker.maximum_version = maximum
    return looker


def fetch_chain(host: str, port: int, server_name: str, timeout: float) -> tuple[bytes, ...]:
    """Read the chain a server presents, on a connection that only looks and sends no data.

    This context does not verify, so that a chain that fails verification can still be described; nothing is
    ever sent over it, and no fix or output of cadoctor ever turns verification off. Before Python 3.10 `ssl`
    shows only the leaf, so the chain is read from a TLS 1.2 handshake's Certificate message, which is sent
    in the clear.
    """
    import ssl

    if not hasattr(ssl.SSLObject, "get_unverified_chain") and not hasattr(ssl.SSLSocket, "get_unverified_chain"):
        return _chain_from_tls12(host, port, server_name, timeout)
    outcome = connect.handshake(_looker(), host, port, server_name, timeout, linger=False)
    return tuple(binascii.a2b_base64(item) for item in outcome.get("chain") or ())


_CAPTURE_LIMIT = 1 << 20  # bytes of handshake read while looking for the Certificate message


def _chain_from_tls12(host: str, port: int, server_name: str, timeout: float) -> tuple[bytes, ...]:
    """Capture a TLS 1.2 handshake through memory BIOs and read the certificates from its Certificate message."""
    import ssl

    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    session = _looker(ssl.TLSVersion.TLSv1_2).wrap_bio(incoming, outgoing, server_hostname=server_name)
    received = bytearray()
    try:
        with connect.open_connection(host, port, timeout, connect.proxy_for(host, port)) as sock:
            while len(received) < _CAPTURE_LIMIT:
                try:
                    session.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    sock.sendall(outgoing.read())
                    data = sock.recv(65536)
                    if not data:
                        break
                    received += data
                    incoming.write(data)
                chain = _certificates_in_records(bytes(received))
                if chain:
                    return chain
    except (OSError, ssl.SSLError, ValueError):
        pass
    return _certificates_in_records(bytes(received))


def _certificates_in_records(data: bytes) -> tuple[bytes, ...]:
    """The certificate_list of the first complete Certificate handshake message in these TLS records."""
    handshake = bytearray()
    at = 0
    while at + 5 <= len(data):
        kind, length = data[at], int.from_bytes(data[at + 3 : at + 5], "big")
        if kind == 22:  # handshake records (the ones before ChangeCipherSpec are in the clear)
            handshake += data[at + 5 : at + 5 + length]
        at += 5 + length
    at = 0
    while at + 4 <= len(handshake):
        kind, length = handshake[at], int.from_bytes(handshake[at + 1 : at + 4], "big")
        body = handshake[at + 4 : at + 4 + length]
        if len(body) < length:
            return ()
        if kind == 11:  # Certificate
            certificates, offset = [], 3
            while offset + 3 <= len(body):
                size = int.from_bytes(body[offset : offset + 3], "big")
                certificates.append(bytes(body[offset + 3 : offset + 3 + size]))
                offset += 3 + size
            return tuple(certificates)
        at += 4 + length
    return ()


def _holder_certificates(bundle: Bundle, issuer_der: bytes) -> list[bytes]:
    """A bundle's certificates named `issuer_der`, compared as OpenSSL compares names; a file from what it read.

    A bundle only looked at (a --host check's light look) holds none: the search that chose what to read in full
    looked for this very name.
    """
    if not bundle.parsed:
        return []
    from cadoctor._facts.certs.pem import named

    if bundle.ders:  # what it was read to hold (a folder: linked, or left unlinked as a local anchor folder is)
        return named(list(bundle.ders.values()), issuer_der)
    from cadoctor._facts.certs.bundle import certificates_named

    return certificates_named(bundle.path, issuer_der) if bundle.kind in ("file", "directory") else []


def _sought(chain: tuple[ChainCertificate, ...]) -> bytes | None:
    """The raw name of the issuer a chain ends at (the top's own, when it is a root), or None."""
    from cadoctor._facts.certs.der import MalformedDER, certificate_parts

    if not chain:
        return None
    try:
        parts = certificate_parts(chain[-1].der)
    except MalformedDER:
        return None
    return parts.subject if chain[-1].self_issued else parts.issuer


def sought_issuers(shaken: Iterable[Shaken | HostCheck]) -> frozenset[bytes]:
    """The issuers failing handshakes need found on disk: a host check reads in full only the files holding them."""
    names = set()
    for item in shaken:
        if isinstance(item, Shaken) and classify(item.outcome) in ("host-unknown-ca", "host-incomplete-chain"):
            name = _sought(describe_chain(item.chain))
            if name is not None:
                names.add(name)
    return frozenset(names)


def attribute(
    chain: tuple[ChainCertificate, ...], bundles: Iterable[Bundle], *, verify: bool = True, strict: bool = False
) -> tuple[str | None, tuple[RootHolder, ...], bool | None]:
    """Which bundles hold the issuer the chain ends at, and whether the chain verifies against each of them.

    Each holder is asked of OpenSSL's own `X509_verify_cert` in the loaded libcrypto (the verifier the
    clients run, with its rules, not a stricter RFC 5280 reading); the name is the handshake's to judge.
    Without `verify` (a chain the handshake accepted) only who holds the root is found.
    """
    from cadoctor._facts.tls.verifier import verdicts

    issuer_der = _sought(chain)
    if issuer_der is None:
        return None, (), None
    top = chain[-1]
    found: dict[str, Bundle] = {}
    roles: dict[str, tuple[str, ...]] = {}  # a file under several names (a compiled path, the OS's): every role
    for bundle in bundles:
        real = bundle.realpath or bundle.path
        if real in found:
            roles[real] += tuple(r for r in bundle.roles if r not in roles[real])
            if "system" in bundle.roles and "system" not in found[real].roles:
                found[real] = bundle  # named as the OS names it
        elif _holder_certificates(bundle, issuer_der):
            found[real], roles[real] = bundle, bundle.roles
    paths = [b.path for b in found.values()]
    checked = verdicts(tuple(c.der for c in chain), paths, strict) if found and verify else ()
    by_path = {v.path: v for v in checked} if isinstance(checked, tuple) else {}
    holders = []
    for real, bundle in found.items():
        verdict = by_path.get(bundle.path)
        if not verify:
            holders.append(RootHolder(bundle.path, roles[real], None))
        elif verdict is None:  # the loaded libcrypto cannot verify offline: say why, guess nothing
            holders.append(RootHolder(bundle.path, roles[real], None, str(checked)))
        else:
            holders.append(RootHolder(bundle.path, roles[real], verdict.ok, verdict.reason))
    public = any("certifi" in h.roles for h in holders) if holders else None
    return top.subject if top.self_issued else top.issuer, tuple(holders), public


_NEEDS_CHAIN = (
    "host-unknown-ca",
    "host-incomplete-chain",
    "host-expired",
    "host-not-yet-valid",
    "host-hostname-mismatch",
)


@record
class Shaken:
    """The network part of one host check: what the handshake (and, on a verify failure, the chain fetch) saw."""

    target: str
    host: str
    port: int
    outcome: dict[str, Any]
    chain: tuple[bytes, ...]


def shake(
    target: str, context: ssl.SSLContext | str, timeout: float, meanwhile: Callable[[], None] | None = None
) -> Shaken | HostCheck:
    """Handshake with the default context, fetching the chain when verification failed (network only).

    `context` is the text of the reason when no default context could be made: the host is then not tried.
    `meanwhile` runs while a successful handshake waits for a late alert (see `connect.handshake`).
    """
    try:
        host, port = parse_target(target)
    except ValueError as exc:
        return HostCheck(target, target, 0, target, None, False, "invalid", "host-unreachable", error=str(exc))
    if isinstance(context, str):
        return HostCheck(target, host, port, host, None, False, "context", None, error="not tried: " + context)
    outcome = connect.handshake(context, host, port, host, timeout, meanwhile=meanwhile)
    chain = tuple(binascii.a2b_base64(item) for item in outcome.get("chain") or ())
    if classify(outcome) in _NEEDS_CHAIN and not chain:
        chain = fetch_chain(host, port, host, timeout)
    return Shaken(target, host, port, outcome, chain)


def whole_chain(shaken: Shaken | HostCheck, timeout: float) -> Shaken | HostCheck:
    """The server's whole chain where ssl showed only the leaf (before Python 3.10): one more connection reads it."""
    if isinstance(shaken, HostCheck) or shaken.outcome.get("chain_whole") is not False or len(shaken.chain) > 1:
        return shaken
    chain = fetch_chain(shaken.host, shaken.port, shaken.host, timeout)
    if not chain:
        return shaken
    whole = {**shaken.outcome, "chain_whole": True}  # read from the wire: a leaf alone is all the server sent
    return replace(shaken, chain=chain if len(chain) > len(shaken.chain) else shaken.chain, outcome=whole)


def shake_in(target: str, python: str, timeout: float) -> Shaken | HostCheck:
    """The handshake made by another interpreter (`--python` with `--host`): its OpenSSL, its trust path.

    The chain of a failed verification is fetched from here, as `shake` does: it is what the server sends.
    """
    from cadoctor._facts.interpreters.run import handshake_in

    try:
        host, port = parse_target(target)
    except ValueError as exc:
        return HostCheck(target, target, 0, target, None, False, "invalid", "host-unreachable", error=str(exc))
    outcome = handshake_in(python, host, port, timeout)
    if outcome.get("stage") == "context":
        return HostCheck(target, host, port, host, None, False, "context", None, error=outcome.get("error"))
    chain = tuple(binascii.a2b_base64(item) for item in outcome.get("chain") or ())
    if classify(outcome) in _NEEDS_CHAIN and not chain:
        chain = fetch_chain(host, port, host, timeout)
    return Shaken(target, host, port, outcome, chain)


def _names(chain: tuple[ChainCertificate, ...]) -> set[bytes]:
    """The raw subject and issuer names of a chain's certificates."""
    from cadoctor._facts.certs.der import MalformedDER, certificate_parts

    names: set[bytes] = set()
    for certificate in chain:
        with contextlib.suppress(MalformedDER):
            parts = certificate_parts(certificate.der)
            names.update((parts.subject, parts.issuer))
    return names


def _public(chain: tuple[ChainCertificate, ...], mozilla: str | None) -> bool | None:
    """Whether the chain reaches Mozilla's set: a certificate of it, or its issuer, is there (None: cannot tell).

    Any certificate counts, not only the top: a server may still send a cross-signed root whose own issuer has
    left the set (ISRG Root X1 under DST Root CA X3).
    """
    from cadoctor._facts.certs.pem import holds_named

    return None if mozilla is None else holds_named(mozilla, _names(chain))


def _os_holders(chain: tuple[ChainCertificate, ...]) -> tuple[RootHolder, ...]:
    """The distribution's CA files that hold the chain's root: where an accepted private root came from."""
    from cadoctor._facts.certs.pem import holds_named
    from cadoctor._locations import KNOWN_FILES

    names = _names(chain[-1:])
    return tuple(RootHolder(path, ("system",), None) for path, _ in KNOWN_FILES if holds_named(path, names))


def analyse(
    shaken: Shaken | HostCheck,
    bundles: Iterable[Bundle],
    stores: Iterable[str] = (),
    mozilla: str | None = None,
    strict: bool = False,
) -> HostCheck:
    """Classify a handshake, describe the chain, attribute an untrusted root, and check it against `stores`.

    `stores` are the CA files the clients of the examined Python use (certifi, their own bundles, the files
    their variables name): the chain this one connection received is verified against each, offline.
    `mozilla` is a copy of Mozilla's root set: an accepted chain whose root it lacks is intercepted.
    `strict`: the examined Python is 3.13 or later, whose default context verifies strictly (so do the checks).
    """
    if isinstance(shaken, HostCheck):
        return shaken
    checked: tuple[StoreVerdict, ...] | str = ()
    cafiles = list(stores)
    if cafiles and classify(shaken.outcome) in (None, *_NEEDS_CHAIN):
        from cadoctor._facts.tls.verifier import verdicts

        checked = verdicts(shaken.chain, cafiles, strict)
    outcome, server_name = shaken.outcome, shaken.host
    code = classify(outcome)
    chain = describe_chain(shaken.chain)
    top_issuer: str | None = None
    holders: tuple[RootHolder, ...] = ()
    public: bool | None = None
    if code in ("host-unknown-ca", "host-incomplete-chain"):
        top_issuer, holders, public = attribute(chain, bundles, strict=strict)
        if chain and not chain[-1].self_issued and not holders:
            # Its issuer is in no store here, certifi's public roots included. A public CA's leaf names where its
            # issuer is published (AIA): sent alone, it lacks the intermediate the server must send. A leaf
            # without one is signed by a private root (mkcert, trustme, a cluster's or a proxy's CA); above an
            # intermediate the server did send, what is missing is a root no store here holds.
            code = "host-incomplete-chain" if len(chain) == 1 and chain[0].ca_issuers else "host-unknown-ca"
        elif holders:
            code = "host-unknown-ca"  # a bundle here holds the issuer: trusting it is the question, not the server
    elif code is None and chain:  # accepted: is its root a public one, or a private root trusted here?
        whole = outcome.get("chain_whole") is not False or len(chain) > 1 or chain[0].self_issued
        public = _public(chain, mozilla) if whole else None
        if public is False:
            top_issuer, holders, _ = attribute(chain, bundles, verify=False) if bundles else (None, (), None)
            top_issuer = top_issuer or (chain[-1].subject if chain[-1].self_issued else chain[-1].issuer)
            holders = holders or _os_holders(chain)
    missing = chain[-1].issuer if code == "host-incomplete-chain" and chain and not chain[-1].self_issued else None
    return HostCheck(
        target=shaken.target,
        host=shaken.host,
        port=shaken.port,
        server_name=server_name,
        proxy=outcome.get("proxy"),
        ok=bool(outcome.get("ok")),
        stage=str(outcome.get("stage")),
        code=code,
        error=outcome.get("error"),
        reason=outcome.get("reason"),
        verify_code=outcome.get("verify_code"),
        verify_message=outcome.get("verify_message"),
        protocol=outcome.get("protocol"),
        seconds=outcome.get("handshake_seconds"),
        chain=chain,
        top_issuer=top_issuer,
        missing_issuer=missing,
        holders=holders,
        public_root=public,
        stores=checked if isinstance(checked, tuple) else (),
        stores_problem=checked if isinstance(checked, str) else None,
    )


def check_host(target: str, context: ssl.SSLContext, timeout: float, bundles: Iterable[Bundle] = ()) -> HostCheck:
    """Handshake with the default context; on failure, classify it, describe the chain and attribute its root."""
    return analyse(shake(target, context, timeout), bundles)
