"""A CA file as the loaded libcrypto reads it: the certificates OpenSSL's own readers load, and where they stop.

cadoctor's PEM reader is a fast model; this is the authority it defers to when a file is not plain PEM. OpenSSL
reads a CA file in two ways, and they disagree on damage:

- a CA file (`load_verify_locations(cafile=)`, SSL_CERT_FILE, a client's bundle) goes through
  `X509_load_cert_crl_file`, which reads every PEM object with `PEM_X509_INFO_read_bio` and adds them only
  once all were read: one bad block (base64 that does not decode, a certificate that does not parse, an END
  line glued to the next BEGIN, a block cut short) and the file loads nothing;
- a file a hashed folder's link reaches goes through `X509_load_cert_file`: certificates are added one by one,
  so those before the first bad block load and the rest do not.

Both skip text that is not inside a PEM block, and a block whose BEGIN line does not start a line. Both read
through a stdio `FILE` (a `BIO_s_file`), whose `fgets` ends the reading at a line that starts with a NUL byte:
the file is handed over the same way here, from a descriptor already opened without blocking, so a FIFO is
never read. Never loads a new copy of OpenSSL: the handle is the one `_ssl` uses (RTLD_NOLOAD).
"""

from __future__ import annotations

import ctypes
import os

from cadoctor._facts.child import libraries
from cadoctor._record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

OPENSSL_READ_LIMIT = 8 << 20  # bytes of a file handed to OpenSSL (real bundles take ~250 KB): it holds them all


@record
class OpenSSLReading:
    """What OpenSSL loads from one file.

    Attributes:
        certificates: The DER of each certificate it loads, in file order, duplicates included.
        crls: Certificate revocation lists it loads (a CA file only).
        error: OpenSSL's reason when its reading stopped at a bad object, None when it read to the end.
        stopped_at: The byte offset its reading had reached when it stopped (None: it read to the end).
        reader: The OpenSSL that read it (`OpenSSL_version`).

    """

    certificates: tuple[bytes, ...]
    crls: int
    error: str | None
    stopped_at: int | None
    reader: str


class _Reader:
    """The libcrypto functions a reading needs, bound once per process."""

    def __init__(self, handle: ctypes.CDLL, libc: ctypes.CDLL) -> None:
        vp, bind = ctypes.c_void_p, libraries.bind
        self.fdopen = bind(libc, "fdopen", vp, [ctypes.c_int, ctypes.c_char_p])
        self.fclose = bind(libc, "fclose", ctypes.c_int, [vp])
        self.bio_new_fp = bind(handle, "BIO_new_fp", vp, [vp, ctypes.c_int])
        self.bio_free = bind(handle, "BIO_free", ctypes.c_int, [vp])
        self.bio_ctrl = bind(handle, "BIO_ctrl", ctypes.c_long, [vp, ctypes.c_int, ctypes.c_long, vp])
        self.read_info = bind(handle, "PEM_X509_INFO_read_bio", vp, [vp, vp, vp, vp])
        self.read_x509 = bind(handle, "PEM_read_bio_X509_AUX", vp, [vp, vp, vp, vp])
        self.x509_free = bind(handle, "X509_free", None, [vp])
        self.i2d = bind(handle, "i2d_X509", ctypes.c_int, [vp, ctypes.POINTER(vp)])
        self.info_free = bind(handle, "X509_INFO_free", None, [vp])
        self.sk_num = bind(handle, "OPENSSL_sk_num", ctypes.c_int, [vp])
        self.sk_value = bind(handle, "OPENSSL_sk_value", vp, [vp, ctypes.c_int])
        self.sk_free = bind(handle, "OPENSSL_sk_free", None, [vp])
        self.err_get = bind(handle, "ERR_get_error", ctypes.c_ulong, [])
        self.err_clear = bind(handle, "ERR_clear_error", None, [])
        self.err_text = bind(handle, "ERR_reason_error_string", ctypes.c_char_p, [ctypes.c_ulong])
        version = bind(handle, "OpenSSL_version", ctypes.c_char_p, [ctypes.c_int])(0)
        self.version = version.decode("ascii", "replace") if version else "OpenSSL"

    def der(self, x509: int) -> bytes | None:
        """A certificate object's DER."""
        return certificate_der(self.i2d, x509)

    def reasons(self) -> list[str]:
        """The reasons OpenSSL queued, first (the cause) to last, as `openssl` prints them; the queue emptied."""
        found = []
        code = self.err_get()
        while code:
            text = self.err_text(code)
            found.append(text.decode("ascii", "replace") if text else "error %#x" % code)
            code = self.err_get()
        return found

    def read(self, fd: int, hashed: bool) -> OpenSSLReading | None:
        """Read an open file through a stdio BIO of a duplicate of its descriptor, as OpenSSL's lookups do."""
        copy = os.dup(fd)
        try:
            os.lseek(copy, 0, os.SEEK_SET)
        except OSError:
            os.close(copy)
            return None
        stream = self.fdopen(copy, b"r")
        if not stream:
            os.close(copy)
            return None
        bio = self.bio_new_fp(stream, _BIO_CLOSE)  # frees the FILE, and with it the copy, with the BIO
        if not bio:
            self.fclose(stream)
            return None
        self.err_clear()
        try:
            return self._loop(bio) if hashed else self._info(bio)
        finally:
            self.bio_free(bio)
            self.err_clear()

    def _info(self, bio: int) -> OpenSSLReading:
        """`X509_load_cert_crl_file`'s reading: every object or none (a NULL stack is a failed file)."""
        stack = self.read_info(bio, None, None, None)
        if not stack:
            where = self._tell(bio)
            return OpenSSLReading((), 0, (self.reasons() or ["unreadable"])[0], where, self.version)
        ders: list[bytes] = []
        crls = 0
        try:
            for index in range(self.sk_num(stack)):
                info = ctypes.cast(self.sk_value(stack, index), ctypes.POINTER(ctypes.c_void_p))
                # X509_INFO begins with `X509 *x509; X509_CRL *crl;` (the same in 1.1 and 3.x)
                if info[0]:
                    der = self.der(info[0])
                    if der is not None:
                        ders.append(der)
                crls += bool(info[1])
        finally:
            for index in range(self.sk_num(stack)):
                self.info_free(self.sk_value(stack, index))
            self.sk_free(stack)
        self.err_clear()
        return OpenSSLReading(tuple(ders), crls, None, None, self.version)

    def _loop(self, bio: int) -> OpenSSLReading:
        """`X509_load_cert_file`'s reading: certificates one by one until the end or the first bad one."""
        ders: list[bytes] = []
        while True:
            x509 = self.read_x509(bio, None, None, None)
            if not x509:
                break
            der = self.der(x509)
            self.x509_free(x509)
            if der is not None:
                ders.append(der)
        where = self._tell(bio)
        reasons = self.reasons()
        # the end of the file, after at least one certificate: the reading is complete (the last reason decides)
        if not reasons or (reasons[-1] == _NO_START_LINE and ders):
            return OpenSSLReading(tuple(ders), 0, None, None, self.version)
        return OpenSSLReading(tuple(ders), 0, reasons[0], where, self.version)

    def _tell(self, bio: int) -> int | None:
        """How far the reading got (ftell on the BIO's FILE)."""
        where = self.bio_ctrl(bio, _BIO_C_FILE_TELL, 0, None)
        return where if where >= 0 else None


def certificate_der(i2d: Any, x509: int) -> bytes | None:
    """An X509 object's DER, through a bound `i2d_X509` (argtypes: the object, a pointer to a buffer pointer)."""
    size = i2d(x509, None)
    if size <= 0:
        return None
    buffer = ctypes.create_string_buffer(size)
    pointer = ctypes.c_void_p(ctypes.addressof(buffer))  # i2d writes there and moves the pointer on
    return buffer.raw[:size] if i2d(x509, ctypes.byref(pointer)) == size else None


_BIO_CLOSE = 0x01
_BIO_C_FILE_TELL = 133
_NO_START_LINE = "no start line"  # PEM_R_NO_START_LINE's text: a reader met the end of the file, no BEGIN line


def loaded_libcrypto() -> ctypes.CDLL | None:
    """The libcrypto `_ssl` uses, opened with RTLD_NOLOAD (never a new copy); None: not OpenSSL 1.1 or later."""
    try:
        import _ssl
    except ImportError:
        return None
    module_file = getattr(_ssl, "__file__", None)
    try:  # `_ssl` built into the interpreter: its OpenSSL is in the main program
        handle = libraries.library_handle(module_file) if module_file else ctypes.CDLL(None)
    except OSError:
        return None
    if handle is None or getattr(handle, "OPENSSL_sk_num", None) is None:
        return None
    return handle


_READERS: list[_Reader | None] = []


def _reader() -> _Reader | None:
    """The loaded libcrypto, bound once (None: no OpenSSL 1.1+ reachable here, or no stdio to hand it a file)."""
    if _READERS:
        return _READERS[0]
    reader: _Reader | None = None
    handle = loaded_libcrypto()
    if handle is not None:
        try:
            reader = _Reader(handle, ctypes.CDLL(None))
        except (OSError, AttributeError):
            reader = None
    _READERS.append(reader)
    return reader


def read_as_openssl(fd: int, *, hashed: bool = False) -> OpenSSLReading | None:
    """What the loaded libcrypto loads from an open regular file: as a CA file, or (`hashed`) as a folder's link.

    None when it cannot be asked here (no OpenSSL 1.1 or later reachable, another platform's C library) or the
    file is larger than OpenSSL should be handed whole; `fd` is left open, wherever its offset was.
    """
    if os.name != "posix":  # a FILE from this C library may not be the one libcrypto was built against
        return None
    try:
        if os.fstat(fd).st_size > OPENSSL_READ_LIMIT:
            return None
    except OSError:
        return None
    reader = _reader()
    return reader.read(fd, hashed) if reader is not None else None


def libcrypto_version() -> str | None:
    """The version of the libcrypto that reads files here (None: none can be asked)."""
    reader = _reader()
    return reader.version if reader is not None else None
