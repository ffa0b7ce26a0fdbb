"""Live handshakes for `cadoctor check --host`: the target read, the default context, and what each handshake saw."""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping

from cadoctor._errors import ClientCertificateError
from cadoctor._facts.child import connect
from cadoctor._facts.tls.fetch import fetch_chain
from cadoctor._model import HostCheck
from cadoctor._record import record, replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from typing import Any

DEFAULT_PORT = 443


DEFAULT_TIMEOUT = 10.0  # seconds per handshake


# OpenSSL's verify codes (X509_V_ERR_*) for a chain that reaches no root the context trusts.
NO_TRUSTED_ROOT = frozenset(
    {
        2,  # UNABLE_TO_GET_ISSUER_CERT
        18,  # DEPTH_ZERO_SELF_SIGNED_CERT
        19,  # SELF_SIGNED_CERT_IN_CHAIN
        20,  # UNABLE_TO_GET_ISSUER_CERT_LOCALLY
        21,  # UNABLE_TO_VERIFY_LEAF_SIGNATURE
        27,  # CERT_UNTRUSTED
    }
)


# The codes only X509_V_FLAG_X509_STRICT raises (Python 3.13's default context sets it): RFC 5280's rules for
# the extensions of each certificate of a chain that otherwise reaches a trusted root (OpenSSL 3's check_extensions).
STRICT_REJECTED = frozenset(
    {
        76,  # SIGNATURE_ALGORITHM_MISMATCH
        77,  # SIGNATURE_ALGORITHM_INCONSISTENCY
        80,  # PATHLEN_INVALID_FOR_NON_CA
        81,  # PATHLEN_WITHOUT_KU_KEY_CERT_SIGN
        82,  # KU_KEY_CERT_SIGN_INVALID_FOR_NON_CA
        83,  # ISSUER_NAME_EMPTY
        84,  # SUBJECT_NAME_EMPTY
        85,  # MISSING_AUTHORITY_KEY_IDENTIFIER
        86,  # MISSING_SUBJECT_KEY_IDENTIFIER
        87,  # EMPTY_SUBJECT_ALT_NAME
        88,  # EMPTY_SUBJECT_SAN_NOT_CRITICAL
        89,  # CA_BCONS_NOT_CRITICAL
        90,  # AUTHORITY_KEY_IDENTIFIER_CRITICAL
        91,  # SUBJECT_KEY_IDENTIFIER_CRITICAL
        92,  # CA_CERT_MISSING_KEY_USAGE
        93,  # EXTENSIONS_REQUIRE_VERSION_3
        94,  # EC_KEY_EXPLICIT_PARAMS
    }
)


# Those, and the codes that reject what the server's certificates say (their dates, the names they are valid for).
CERTIFICATES_REJECTED = (
    NO_TRUSTED_ROOT
    | {
        9,  # CERT_NOT_YET_VALID
        10,  # CERT_HAS_EXPIRED
        62,  # HOSTNAME_MISMATCH
        63,  # EMAIL_MISMATCH
        64,  # IP_ADDRESS_MISMATCH
    }
    | STRICT_REJECTED
)


def rejected_strictly(outcome: Mapping[str, Any]) -> bool:
    """Whether verification failed on a rule only VERIFY_X509_STRICT applies: which certificate broke it is sought."""
    return outcome.get("verify_code") in STRICT_REJECTED


def reached_no_trusted_root(outcome: Mapping[str, Any]) -> bool:
    """Whether verification failed for want of a trusted root: who holds the chain's root is then sought."""
    return outcome.get("verify_code") in NO_TRUSTED_ROOT


def rejected_certificates(outcome: Mapping[str, Any]) -> bool:
    """Whether verification rejected the server's certificates (their root, dates or names): their chain is read."""
    return outcome.get("verify_code") in CERTIFICATES_REJECTED


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


@record
class Handshake:
    """The network part of one host check: the probe's outcome of the handshake, and the chain the server sent."""

    target: str
    host: str
    port: int
    outcome: dict[str, Any]
    chain: tuple[bytes, ...]


def _invalid(target: str, exc: ValueError) -> HostCheck:
    """A target that names no endpoint: never tried."""
    return HostCheck(target, target, 0, target, None, False, "invalid", None, error=str(exc))


def _seen(target: str, host: str, port: int, outcome: dict[str, Any], timeout: float) -> Handshake:
    """What a handshake saw, with the chain read on a second connection when verification rejected it unseen."""
    chain = tuple(binascii.a2b_base64(item) for item in outcome.get("chain") or ())
    if rejected_certificates(outcome) and not chain:
        chain = fetch_chain(host, port, host, timeout)
    return Handshake(target, host, port, outcome, chain)


def handshake(
    target: str, context: ssl.SSLContext | str, timeout: float, meanwhile: Callable[[], None] | None = None
) -> Handshake | HostCheck:
    """Handshake with the default context, fetching the chain when verification rejected it (network only).

    `context` is the text of the reason when no default context could be made: the host is then not tried.
    `meanwhile` runs while a successful handshake waits for a late alert (see `connect.handshake`).
    """
    try:
        host, port = parse_target(target)
    except ValueError as exc:
        return _invalid(target, exc)
    if isinstance(context, str):
        return HostCheck(target, host, port, host, None, False, "context", None, error="not tried: " + context)
    outcome = connect.handshake(context, host, port, host, timeout, meanwhile=meanwhile)
    return _seen(target, host, port, outcome, timeout)


def handshake_from(
    target: str, python: str, timeout: float, identity: tuple[str, str | None] | None = None
) -> Handshake | HostCheck:
    """The handshake made by another interpreter (`--python` with `--host`): its OpenSSL, its trust path.

    `identity` is the client certificate (and key) it presents, as paths it can read. The chain of a rejected
    verification is fetched from here, as `handshake` does: it is what the server sends.
    """
    # Only `--python` with `--host` runs another interpreter here: a check of this one never loads that module.
    from cadoctor._facts.interpreters.run import handshake_in

    try:
        host, port = parse_target(target)
    except ValueError as exc:
        return _invalid(target, exc)
    outcome = handshake_in(python, host, port, timeout, identity)
    if outcome.get("stage") == "context":
        return HostCheck(target, host, port, host, None, False, "context", None, error=outcome.get("error"))
    return _seen(target, host, port, outcome, timeout)


def complete_chain(made: Handshake | HostCheck, timeout: float) -> Handshake | HostCheck:
    """The server's whole chain where ssl showed only the leaf (before Python 3.10): one more connection reads it."""
    if isinstance(made, HostCheck) or made.outcome.get("chain_whole") is not False or len(made.chain) > 1:
        return made
    chain = fetch_chain(made.host, made.port, made.host, timeout)
    if not chain:
        return made
    whole = {**made.outcome, "chain_whole": True}  # read from the wire: a leaf alone is all the server sent
    return replace(made, chain=chain if len(chain) > len(made.chain) else made.chain, outcome=whole)
