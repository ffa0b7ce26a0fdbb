"""The chain a server presents, read on a connection that only looks: nothing is judged, nothing is sent."""

from __future__ import annotations

import binascii

from cadoctor._facts.child import connect

TYPE_CHECKING = False
if TYPE_CHECKING:
    import ssl
    from typing import Any


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
        return chain_from_tls12(host, port, server_name, timeout)
    outcome = connect.handshake(_looker(), host, port, server_name, timeout, linger=False)
    return tuple(binascii.a2b_base64(item) for item in outcome.get("chain") or ())


_CAPTURE_LIMIT = 1 << 20  # bytes of handshake read while looking for the Certificate message


def chain_from_tls12(host: str, port: int, server_name: str, timeout: float) -> tuple[bytes, ...]:
    """Capture a TLS 1.2 handshake through memory BIOs and read the certificates from its Certificate message."""
    import ssl
    import time

    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    session = _looker(ssl.TLSVersion.TLSv1_2).wrap_bio(incoming, outgoing, server_hostname=server_name)
    received = bytearray()
    until = time.monotonic() + timeout  # the whole capture, however the server paces its bytes
    try:
        with connect.open_connection(host, port, timeout, connect.proxy_for(host, port)) as sock:
            while len(received) < _CAPTURE_LIMIT and time.monotonic() < until:
                try:
                    session.do_handshake()
                    break
                except ssl.SSLWantReadError:
                    sock.sendall(outgoing.read())
                    sock.settimeout(max(0.001, until - time.monotonic()))
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
