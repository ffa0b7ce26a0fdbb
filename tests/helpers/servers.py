"""Real peers on 127.0.0.1: TLS servers, misbehaving TCP servers (silent, trickling, not TLS), a CONNECT proxy,
and the one the clients ask."""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from helpers.pki import GeneratedCA


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


@contextlib.contextmanager
def serve_tls(ca: GeneratedCA) -> Iterator[int]:
    """Run a TLS server on 127.0.0.1 presenting a certificate from `ca`; yield its port."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(ca.cert), str(ca.key))
    with serve(tls_handler(context)) as port:
        yield port


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


def trickle(conn: socket.socket) -> None:
    """Answer the ClientHello with a handshake record announced at 16 KiB, sent a byte every 50 ms: never finished.

    Each byte comes well within any read timeout: only a deadline for the whole handshake ends the wait.
    """
    read_some(conn)
    conn.sendall(b"\x16\x03\x03\x40\x00")
    for _ in range(20 * 60):
        conn.sendall(b"\x02")
        ready, _, _ = select.select([conn], [], [], 0.05)
        if ready and not conn.recv(1024):
            return


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


# The server every real client asks (tests/helpers/clients.py): HTTP/1.1 gets 404, gRPC gets UNIMPLEMENTED.

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
def serve_clients(cert: Path, key: Path, require: Path | None = None) -> Iterator[int]:
    """A TLS server on 127.0.0.1 presenting `cert`: HTTP/1.1 gets 404, HTTP/2 (ALPN h2) gets gRPC UNIMPLEMENTED.

    With `require` (a CA file), it asks every client for a certificate issued under it and refuses one without.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    if require is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(cafile=str(require))
    context.set_alpn_protocols(["h2", "http/1.1"])

    def handle(raw: socket.socket) -> None:
        with context.wrap_socket(raw, server_side=True) as conn, contextlib.suppress(EOFError):
            if conn.selected_alpn_protocol() == "h2":
                _answer_grpc(conn)
            else:
                _answer_http1(conn)

    with serve(handle) as port:
        yield port
