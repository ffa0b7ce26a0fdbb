"""Real peers on 127.0.0.1 for the handshake tests: a small PKI, TLS servers, misbehaving TCP servers, a proxy."""

from __future__ import annotations

import contextlib
import datetime
import select
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Chain:
    """A root, an optional intermediate and a leaf for localhost, as PEM files."""

    root: Path
    intermediate: Path | None
    leaf: Path
    key: Path
    root_name: str
    intermediate_name: str | None


def _name(common_name: str) -> Any:
    """An X.509 name with one CN."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_chain(
    directory: Path,
    root_name: str = "cadoctor Chain Root",
    *,
    intermediate: bool = True,
    leaf_days: tuple[int, int] = (-1, 30),
    leaf_names: tuple[str, ...] = ("localhost",),
    ca_issuers: str | None = None,
) -> Chain:
    """Generate root → (intermediate →) leaf, with the leaf's validity, names and AIA under the test's control."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    now = datetime.datetime.now(datetime.timezone.utc)

    def ca(subject: str, key: Any, issuer: str, issuer_key: Any) -> Any:
        return (
            x509.CertificateBuilder()
            .subject_name(_name(subject))
            .issuer_name(_name(issuer))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=2))
            .not_valid_after(now + datetime.timedelta(days=60))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
            .sign(issuer_key, hashes.SHA256())
        )

    root_key = ec.generate_private_key(ec.SECP256R1())
    root = ca(root_name, root_key, root_name, root_key)
    signer_name, signer_key, middle = root_name, root_key, None
    if intermediate:
        middle_key = ec.generate_private_key(ec.SECP256R1())
        middle_name = root_name.replace("Root", "Intermediate")
        middle = ca(middle_name, middle_key, root_name, root_key)
        signer_name, signer_key = middle_name, middle_key
    key = ec.generate_private_key(ec.SECP256R1())
    published = [
        x509.AccessDescription(x509.oid.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier(u))
        for u in ([ca_issuers] if ca_issuers else [])
    ]
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(leaf_names[0]))
        .issuer_name(_name(signer_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=leaf_days[0]))
        .not_valid_after(now + datetime.timedelta(days=leaf_days[1]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in leaf_names]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    )
    if published:  # where a public CA publishes the issuer (AIA): what tells a missing intermediate from a private root
        builder = builder.add_extension(x509.AuthorityInformationAccess(published), critical=False)
    leaf = builder.sign(signer_key, hashes.SHA256())
    directory.mkdir(parents=True, exist_ok=True)
    pem = serialization.Encoding.PEM
    paths = {name: directory / ("%s.pem" % name) for name in ("root", "intermediate", "leaf", "key")}
    paths["root"].write_bytes(root.public_bytes(pem))
    if middle is not None:
        paths["intermediate"].write_bytes(middle.public_bytes(pem))
    paths["leaf"].write_bytes(leaf.public_bytes(pem))
    paths["key"].write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return Chain(
        paths["root"],
        paths["intermediate"] if middle is not None else None,
        paths["leaf"],
        paths["key"],
        "CN=" + root_name,
        "CN=" + signer_name if middle is not None else None,
    )


@contextlib.contextmanager
def serve(handler: Callable[[socket.socket], None], family: int = socket.AF_INET) -> Iterator[int]:
    """Accept connections on loopback in a thread and hand each to `handler`; yield the port."""
    address = "::1" if family == socket.AF_INET6 else "127.0.0.1"
    listener = socket.create_server((address, 0), family=family)
    listener.settimeout(0.2)
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.settimeout(10)
            worker = threading.Thread(target=_guarded, args=(handler, conn), daemon=True)
            worker.start()
            workers.append(worker)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def _guarded(handler: Callable[[socket.socket], None], conn: socket.socket) -> None:
    """Run one connection's handler; a peer that goes away is normal here."""
    try:
        handler(conn)
    except (OSError, ssl.SSLError):
        pass
    finally:
        conn.close()


def tls_handler(context: ssl.SSLContext) -> Callable[[socket.socket], None]:
    """Handshake as a server with `context`, then say `ok`."""

    def handle(conn: socket.socket) -> None:
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"ok")
            with contextlib.suppress(OSError):
                tls.recv(1)

    return handle


def server_context(cert: Path, key: Path, *chain: Path) -> ssl.SSLContext:
    """A server context presenting `cert` followed by `chain` (nothing else)."""
    combined = cert.parent / ("%s-with-chain.pem" % cert.stem)
    combined.write_bytes(b"".join(p.read_bytes() for p in (cert, *chain)))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(combined), str(key))
    return context


def read_some(conn: socket.socket, limit: float = 2.0) -> bytes:
    """Read what the client sends first (its ClientHello), without waiting long."""
    ready, _, _ = select.select([conn], [], [], limit)
    return conn.recv(65536) if ready else b""


def close_after_hello(conn: socket.socket) -> None:
    """Read the ClientHello, then close cleanly: the client sees EOF during the handshake."""
    read_some(conn)


def reset_after_hello(conn: socket.socket) -> None:
    """Read the ClientHello, then reset the connection (RST)."""
    read_some(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def answer_http(conn: socket.socket) -> None:
    """Behave as a plain HTTP server: answer whatever arrives with a 400."""
    read_some(conn)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def send_garbage(conn: socket.socket) -> None:
    """Answer the ClientHello with bytes that are not TLS."""
    read_some(conn)
    conn.sendall(bytes(range(256)) * 64)


def never_answer(conn: socket.socket) -> None:
    """Accept, read, and never say anything until the client gives up."""
    read_some(conn)
    read_some(conn, limit=30)


@contextlib.contextmanager
def connect_proxy(refuse: bool = False) -> Iterator[int]:
    """An HTTP CONNECT proxy on loopback (or one that refuses every CONNECT); yield its port."""

    def handle(conn: socket.socket) -> None:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        line = request.split(b"\r\n", 1)[0].decode("latin-1")
        method, authority, _ = line.split(" ", 2)
        if refuse or method != "CONNECT":
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = authority.rpartition(":")
        upstream = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        conn.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        with upstream:
            pipes = {conn: upstream, upstream: conn}
            while True:
                ready, _, _ = select.select(list(pipes), [], [], 10)
                if not ready:
                    return
                for side in ready:
                    data = side.recv(65536)
                    if not data:
                        return
                    pipes[side].sendall(data)

    with serve(handle) as port:
        yield port
