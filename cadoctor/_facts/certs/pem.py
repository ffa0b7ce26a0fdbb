"""The certificates of a CA file as OpenSSL loads them, and whether a file or a hashed folder holds a name.

One reader for every question: a bounded, streaming scan of the PEM blocks (`scan_pem`) is the fast model, and
it knows when it is only a model. A plain PEM file (every block begins a line and decodes to a certificate,
nothing but text between blocks) loads in OpenSSL exactly as scanned. Anything else (a NUL byte, lines ending in
CR alone, a block that does not decode or begins inside a line, a key or CRL, binary between blocks) is handed to
the loaded libcrypto (`openssl_reading`), whose reading is then the answer: what it loads, what it drops, and
where it stopped. Each file is read once per check for the `--host` questions (`pem_certificates`).

A name is looked for in the bytes first (`names.with_subject`) and only candidates are parsed.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Collection

from cadoctor._facts.certs.der import MalformedDER, certificate_parts, children, read_tlv
from cadoctor._facts.certs.names import subject_hash, with_subject
from cadoctor._facts.fs.disk import CERT_SUFFIXES, DIRECTORY_LIMIT
from cadoctor._facts.memo import table

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cadoctor._facts.certs.openssl_reading import OpenSSLReading

CHUNK = 1 << 20
SCAN_LIMIT = 64 << 20  # read at most this much of one file: enough for any real bundle
BLOCK_LIMIT = 1 << 20  # a single PEM block larger than this is not a certificate
_EMBEDDED_LIMIT = 16  # DER certificates looked for between the blocks of one file

_BEGIN = re.compile(rb"-----BEGIN ([^\r\n-]{1,64})-----")
_CERTIFICATE_LABELS = frozenset({b"CERTIFICATE", b"TRUSTED CERTIFICATE", b"X509 CERTIFICATE"})
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")  # bytes no text editor writes: a DER certificate, a NUL
_BOM = b"\xef\xbb\xbf"

_FILE_MEMO = 64  # files whose certificates are kept decoded (the returned lists are shared: never change one)
_KEPT_LIMIT = 8 << 20  # bytes of certificates kept for one file: a larger bundle is decoded again when asked
_BLOCK_TEXT_LIMIT = 16 << 10  # a block kept by its text: real certificates take a few kilobytes
# (device, inode, hashed): (its identity when read, what OpenSSL loads, what the file carries that it does not load)
_DECODED: dict[tuple[int, int, bool], tuple[list[int], list[bytes], list[bytes]]] = table()
_BLOCKS: dict[bytes, bytes | None] = table()  # a block's text: its DER (None: not base64); bundles share most roots
_BLOCK_MEMO = 4096


# The scan's two values are plain slotted classes, not records: a bundle makes one per block, a hashed folder one
# scan per file, and a check reads a few hundred of each (a record's generic constructor costs several times more).


class CertificateBlock:
    """One `-----BEGIN CERTIFICATE-----` (or TRUSTED, or X509) block as scanned.

    Attributes:
        offset: Where its BEGIN marker is in the file (lines are counted only when a problem names them).
        der: Its decoded body (None: it does not decode, or never ends).
        problem: Why the scan takes no certificate from it (None: it reads as plain PEM).

    """

    __slots__ = ("der", "offset", "problem")

    def __init__(self, offset: int, der: bytes | None, problem: str | None = None) -> None:
        """Describe one block."""
        self.offset, self.der, self.problem = offset, der, problem


class PemScan:
    """What a scan of one file met: its certificate blocks, and whatever makes it more than plain PEM.

    Attributes:
        odd: Why OpenSSL's own reading must decide (a NUL byte, a bare CR, a BOM, a damaged block, ...).
        others: PEM objects of other types (private keys, CRLs, unknown labels): OpenSSL parses some of them.
        embedded: DER certificates found outside any block, with their offset: OpenSSL never loads those.
        nul_at: Where the first line that begins with a NUL byte starts: OpenSSL's stdio reading ends there.
        error: Why the file could not be read to its end.

    """

    __slots__ = ("blocks", "der_file", "embedded", "error", "nul_at", "odd", "others", "truncated")

    def __init__(self) -> None:
        """An empty scan, filled as the file is read."""
        self.blocks: list[CertificateBlock] = []
        self.odd: list[str] = []
        self.others = 0
        self.embedded: list[tuple[int, bytes]] = []
        self.nul_at: int | None = None
        self.truncated = False
        self.der_file = False
        self.error: str | None = None


class CertificateReading:
    """The certificates a file gives OpenSSL, and why its other blocks give none.

    Attributes:
        certificates: The DER of each certificate OpenSSL loads from it, in order, duplicates included.
        marked: Certificates the file carries: certificate blocks, and DER certificates between them.
        problems: Why each marked certificate that does not load gives none, as OpenSSL drops it.
        dropped: The DER of the certificates the file carries (readable as certificates) that OpenSSL does not
            load: what a reader of the file may believe it holds.
        reader: The OpenSSL that read it, when the scan alone could not decide (None: plain PEM, scanned).

    """

    __slots__ = ("certificates", "crls", "der_file", "dropped", "marked", "problems", "reader", "truncated")

    def __init__(
        self,
        certificates: tuple[bytes, ...],
        marked: int,
        problems: tuple[str, ...] = (),
        dropped: tuple[bytes, ...] = (),
        *,
        crls: int = 0,
        der_file: bool = False,
        truncated: bool = False,
        reader: str | None = None,
    ) -> None:
        """What a reading found."""
        self.certificates, self.marked, self.problems, self.dropped = certificates, marked, problems, dropped
        self.crls, self.der_file, self.truncated, self.reader = crls, der_file, truncated, reader

    @property
    def unloaded(self) -> int:
        """Marked certificates OpenSSL does not load."""
        return max(0, self.marked - len(self.certificates))


class _Scanner:
    """A streaming scan: chunks in, blocks out with their byte offsets (linear in the file's size)."""

    def __init__(self) -> None:
        self.scan = PemScan()
        self.buffer = b""
        self.consumed = 0  # where in the file the buffer starts
        self.last = b"\n"  # the byte before the buffer: at the file's start, a line begins

    def _gap(self, start: int, end: int) -> None:
        """Look at text between blocks: binary bytes there may be a DER certificate, or end OpenSSL's reading."""
        if _BINARY.search(self.buffer, start, end) is None:  # text, as between the blocks of every real bundle
            return
        gap = self.buffer[start:end]
        self._note("binary bytes between the blocks (a DER certificate, a NUL byte)")
        if self.scan.nul_at is None:
            before = self.buffer[start - 1 : start] if start else self.last
            nul = 0 if gap[:1] == b"\x00" and before == b"\n" else gap.find(b"\n\x00") + 1 or -1
            if nul >= 0:  # fgets hands back an empty line there, which OpenSSL takes for the end of the file
                self.scan.nul_at = self.consumed + start + nul
        at = gap.find(b"\x30\x82")
        while at != -1 and len(self.scan.embedded) < _EMBEDDED_LIMIT:
            try:
                _, _, stop = read_tlv(gap, at)
                _certificate_outline(gap[at:stop])
            except MalformedDER:
                at = gap.find(b"\x30\x82", at + 1)
                continue
            self.scan.embedded.append((self.consumed + start + at, gap[at:stop]))
            at = gap.find(b"\x30\x82", stop)

    def _note(self, reason: str) -> None:
        """Record why the scan alone cannot decide, once per reason."""
        if reason not in self.scan.odd:
            self.scan.odd.append(reason)

    def feed(self, data: bytes, eof: bool) -> None:
        """Scan what arrived; at `eof`, whatever block is left open is cut short."""
        if b"\r" in data and (b"\r" in data.replace(b"\r\n", b"") or data.endswith(b"\r")):
            self._note("a CR that ends no CRLF")
        self.buffer += data
        at = 0
        while True:
            begin = _BEGIN.search(self.buffer, at)
            if begin is None:
                # Keep what follows for the next chunk: a marker or a DER certificate may be split across them
                # (the text kept between blocks is bounded: past a block's limit, only a marker's length).
                if not eof and len(self.buffer) - at <= BLOCK_LIMIT:
                    break
                keep = len(self.buffer) if eof else max(at, len(self.buffer) - 80)
                self._gap(at, keep)
                at = keep
                break
            self._gap(at, begin.start())
            label = begin.group(1)
            end = self.buffer.find(b"-----END ", begin.end())
            complete = end != -1 and len(self.buffer) > end + len(label) + 14  # the END line and what follows it
            if not eof and not complete and len(self.buffer) - begin.start() <= BLOCK_LIMIT:
                at = begin.start()  # wait for the rest of the block
                break
            if label not in _CERTIFICATE_LABELS:
                self.scan.others += 1
                self._note("a PEM object that is not a certificate (a key, a CRL)")
                at = begin.end() if end == -1 else end + 9
                continue
            block = self._block(begin, end, eof)
            if block.problem is not None:
                self._note(block.problem)
            self.scan.blocks.append(block)
            at = (len(self.buffer) if eof else begin.end()) if end == -1 else end + 9
        self.last = self.buffer[at - 1 : at] or self.last
        self.buffer = self.buffer[at:]
        self.consumed += at

    def _block(self, begin: re.Match[bytes], end: int, eof: bool) -> CertificateBlock:
        """One certificate block (its END at `end`, -1: none), and why OpenSSL might not take it as written."""
        offset = self.consumed + begin.start()
        if end == -1:
            return CertificateBlock(
                offset, None, "block cut short at the end of the file" if eof else "block over 1 MiB"
            )
        end_marker = b"-----END " + begin.group(1) + b"-----"
        after = self.buffer[end + len(end_marker) : end + len(end_marker) + 1]
        before = self.buffer[begin.start() - 1 : begin.start()] if begin.start() else self.last
        der = decode_block(self.buffer[begin.end() : end])
        if begin.group(1) == b"TRUSTED CERTIFICATE":  # trust settings follow the certificate in that form
            der = _certificate_part(der)
        bare_cr = self.buffer.startswith(b"\r", begin.end()) and not self.buffer.startswith(b"\r\n", begin.end())
        problem = None
        if bare_cr or before == b"\r":
            problem = "its lines end in CR alone (an old Mac editor's)"
        elif before != b"\n":
            problem = "its BEGIN line does not start a line (glued to the line before, or indented)"
        elif not self.buffer.startswith(end_marker, end) or after not in (b"\n", b"\r", b""):
            problem = "its END line is not alone on its line (glued to what follows)"
        elif der is None:
            problem = "its body is not base64"
        return CertificateBlock(offset, der, problem)


def scan_pem(fd: int, limit: int = SCAN_LIMIT) -> PemScan:
    """Scan an open file's PEM blocks in chunks, never holding more than a chunk and a block (closes nothing)."""
    scanner = _Scanner()
    scanned = 0
    first = True
    try:
        while True:
            data = os.read(fd, CHUNK)
            scanned += len(data)
            eof = not data
            if scanned >= limit and not eof:
                scanner.scan.truncated = True
                eof = True
            if first:
                first = False
                if data[:1] == b"\x30" and _BEGIN.search(data) is None:
                    return _der_file(scanner.scan, data)
                if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
                    return _utf16_file(scanner.scan, data)
                if data.startswith(_BOM):
                    scanner._note("a byte-order mark before the first line")
            scanner.feed(data, eof)
            if eof:
                return scanner.scan
    except OSError as exc:
        scanner.scan.error = "read failed: %s" % (exc.strerror or exc)
        return scanner.scan


def _certificate_outline(der: bytes) -> None:
    """Raise MalformedDER unless `der` is shaped as a certificate (bytes that merely start like DER are not one).

    A certificate is a SEQUENCE of two SEQUENCEs and a BIT STRING, the first of which holds names and a key.
    """
    _, start, end = read_tlv(der, 0)
    if end != len(der) or [tag for tag, _, _, _ in children(der, start, end)] != [0x30, 0x30, 0x03]:
        raise MalformedDER("not shaped as a certificate")
    certificate_parts(der)


def _der_file(scan: PemScan, data: bytes) -> PemScan:
    """A file that is one DER certificate, not PEM: OpenSSL's CA file readers take PEM only."""
    scan.der_file = True
    scan.odd.append("a DER file")
    try:
        _, _, end = read_tlv(data, 0)
        _certificate_outline(data[:end])
        scan.embedded.append((0, data[:end]))
    except MalformedDER:
        scan.blocks.append(CertificateBlock(0, None, "DER-encoded file that is not a certificate"))
    return scan


def _utf16_file(scan: PemScan, data: bytes) -> PemScan:
    """A PEM file saved as UTF-16 (a Windows editor's "Unicode"): OpenSSL reads bytes, and finds no BEGIN line."""
    scan.odd.append("UTF-16 text")
    text = data.decode("utf-16", "replace").encode("ascii", "replace")
    for found in _BEGIN.finditer(text):
        if found.group(1) in _CERTIFICATE_LABELS:  # two bytes a character, after the byte-order mark
            offset = 2 + 2 * found.start()
            scan.blocks.append(CertificateBlock(offset, None, "the file is UTF-16 text (OpenSSL reads PEM as bytes)"))
    return scan


def decode_block(text: bytes) -> bytes | None:
    """One PEM block's base64 decoded, as OpenSSL's reader would take it (None when it is not base64).

    Bundles share most roots: a block's text seen before is not decoded again in the same check.
    """
    if text in _BLOCKS:
        return _BLOCKS[text]
    import base64
    import binascii

    try:
        der: bytes | None = base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        der = None
    if len(_BLOCKS) < _BLOCK_MEMO and len(text) <= _BLOCK_TEXT_LIMIT:
        _BLOCKS[text] = der
    return der


def _certificate_part(der: bytes | None) -> bytes | None:
    """The certificate of a decoded block: a TRUSTED CERTIFICATE carries trust settings after it."""
    if der is None:
        return None
    try:
        end = read_tlv(der, 0)[2]
    except MalformedDER:
        return der
    return der if end == len(der) else der[:end]


def _structured(der: bytes) -> bool:
    """Whether DER holds a certificate's outline (its names and key can be sliced out): the cheap check."""
    try:
        certificate_parts(der)
    except MalformedDER:
        return False
    return True


def read_certificates(
    fd: int, *, hashed: bool = False, valid: Callable[[bytes], bool] = _structured
) -> CertificateReading:
    """The certificates OpenSSL loads from an open file: as a CA file, or (`hashed`) as a hashed folder's link.

    The scan decides a plain PEM file whose every block passes `valid`; anything else is read by the loaded
    libcrypto, whose answer is the truth. Where no libcrypto can be asked, the scan's reading stands.
    """
    scan = scan_pem(fd)
    marked = len(scan.blocks) + len(scan.embedded)
    if scan.error is not None:
        return CertificateReading((), marked, (scan.error,), truncated=scan.truncated)
    plain = not scan.odd and not scan.others and not scan.embedded
    if plain and all(block.der is not None and valid(block.der) for block in scan.blocks):
        ders = tuple(block.der for block in scan.blocks if block.der is not None)
        return CertificateReading(ders, marked, truncated=scan.truncated)
    # Lazy: ctypes and the libcrypto's functions are bound only for a file that is not plain PEM.
    from cadoctor._facts.certs.openssl_reading import read_as_openssl

    reading = read_as_openssl(fd, hashed=hashed) if not scan.truncated else None
    if reading is None:
        return _scanned(scan, marked, valid, fd)
    problems = _dropped(scan, reading, marked, hashed, fd)
    loaded = Counter(reading.certificates)
    carried = [block.der for block in scan.blocks if block.der is not None] + [der for _, der in scan.embedded]
    dropped = tuple(der for der in dict.fromkeys(carried) if not loaded[der] and _structured(der))
    return CertificateReading(
        reading.certificates,
        marked,
        problems,
        dropped,
        crls=reading.crls,
        der_file=scan.der_file,
        truncated=scan.truncated,
        reader=reading.reader,
    )


def _line_numbers(fd: int, offsets: Collection[int | None]) -> dict[int, int]:
    """The line each byte offset of an open file is on (1 for the first), counted in one bounded pass.

    Only a file with a problem to name gets here: a plain file's scan never counts its lines.
    """
    wanted = sorted({offset for offset in offsets if offset is not None})
    found: dict[int, int] = {}
    line, at = 1, 0
    for offset in wanted:
        while at < offset:
            try:
                data = os.pread(fd, min(CHUNK, offset - at), at)
            except (OSError, AttributeError):
                return found
            if not data:
                return found
            line += data.count(b"\n")
            at += len(data)
        found[offset] = line
    return found


def _scanned(scan: PemScan, marked: int, valid: Callable[[bytes], bool], fd: int) -> CertificateReading:
    """The scan's own reading, where OpenSSL cannot be asked: each block that decodes to a certificate counts."""
    ders: list[bytes] = []
    failed: list[CertificateBlock] = []
    for block in scan.blocks:
        if block.problem is None and block.der is not None and valid(block.der):
            ders.append(block.der)
        else:
            failed.append(block)
    lines = _line_numbers(fd, [b.offset for b in failed] + [offset for offset, _ in scan.embedded])
    problems = ["line %d: %s" % (lines.get(b.offset, 0), b.problem or "not a certificate") for b in failed]
    problems.extend("line %d: a DER certificate outside any PEM block" % lines.get(o, 0) for o, _ in scan.embedded)
    return CertificateReading(tuple(ders), marked, tuple(problems), der_file=scan.der_file, truncated=scan.truncated)


def _blocks_at(lines: list[int]) -> str:
    """`the block at line 4` or `3 blocks (lines 4, 9 and 12)`, at most six lines named."""
    if len(lines) == 1:
        return "the block at line %d" % lines[0]
    distinct = sorted(set(lines))
    shown = ["%d" % line for line in distinct[:6]] + (["..."] if len(distinct) > 6 else [])
    where = "line " + shown[0] if len(shown) == 1 else "lines %s and %s" % (", ".join(shown[:-1]), shown[-1])
    return "%d blocks (%s)" % (len(lines), where)


def _dropped(scan: PemScan, reading: OpenSSLReading, marked: int, hashed: bool, fd: int) -> tuple[str, ...]:
    """Why each marked certificate that OpenSSL does not load gives none, grouped by reason, as OpenSSL drops it."""
    offsets = [b.offset for b in scan.blocks] + [o for o, _ in scan.embedded] + [scan.nul_at, reading.stopped_at]
    lines = _line_numbers(fd, offsets)
    if reading.error is not None and not (hashed and reading.error == "no start line"):
        # the reading had consumed the line it stopped at: the line of its last byte
        where = lines.get(reading.stopped_at, 1) - 1 if reading.stopped_at else 0
        at = " at line %d" % where if where > 0 else ""
        block = next((b for b in reversed(scan.blocks) if where and lines.get(b.offset, 0) <= where), None)
        if block is not None and block.problem is not None:  # what the scan saw there says it in words
            at += " (the block at line %d: %s)" % (lines.get(block.offset, 0), block.problem)
        if hashed:
            return (
                "OpenSSL stops reading%s: %s; only the %d certificate(s) before it load"
                % (at, reading.error, len(reading.certificates)),
            )
        return (
            "OpenSSL stops reading%s: %s; it then loads none of this file's %d certificate(s)"
            % (at, reading.error, marked),
        )
    loaded = Counter(reading.certificates)
    nul_line = lines.get(scan.nul_at) if scan.nul_at is not None else None
    reasons: dict[str, list[int]] = {}
    for block in scan.blocks:
        if block.der is not None and loaded[block.der] > 0:
            loaded[block.der] -= 1
            continue
        line = lines.get(block.offset, 0)
        if nul_line is not None and line > nul_line:
            reason = "OpenSSL's reading ends at line %d, which begins with a NUL byte" % nul_line
        elif block.problem is not None:
            reason = "%s: OpenSSL skips it" % block.problem
        else:
            reason = "OpenSSL does not load it"
        reasons.setdefault(reason, []).append(line)
    problems = ["%s: %s" % (_blocks_at(found), reason) for reason, found in reasons.items()]
    for offset, der in scan.embedded:
        if loaded[der] > 0:
            continue
        problems.append(
            "line %d: a DER certificate (%s) outside any PEM block: OpenSSL reads CA files as PEM only, and skips it"
            % (lines.get(offset, 0), _subject_text(der))
        )
    accounted = sum(len(found) for found in reasons.values()) + len(scan.embedded)
    if marked - len(reading.certificates) > accounted:
        problems.append("OpenSSL loads %d of the %d certificates marked" % (len(reading.certificates), marked))
    return tuple(problems)


def _subject_text(der: bytes) -> str:
    """A certificate's subject as text, for a problem's wording."""
    from cadoctor._facts.certs.der import name_text

    try:
        return name_text(certificate_parts(der).subject)
    except (MalformedDER, ValueError):
        return "unreadable subject"


def pem_certificates(path: str, *, hashed: bool = False, carried: bool = False) -> list[bytes]:
    """The DER of each certificate OpenSSL loads from a CA file (or, `hashed`, a link's file), never blocking.

    With `carried`, the certificates the file carries that OpenSSL does not load come after them.
    """
    known = _read(path, hashed)
    if known is None:
        return []
    return known[1] + known[2] if carried and known[2] else known[1]


def _read(path: str, hashed: bool) -> tuple[list[int], list[bytes], list[bytes]] | None:
    """A regular file's identity when it was read, what OpenSSL loads from it and what else it carries; or None."""
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        key = (info.st_dev, info.st_ino, hashed)
        found = [info.st_dev, info.st_ino, info.st_mode, info.st_size, info.st_mtime_ns, info.st_ctime_ns]
        known = _DECODED.get(key)  # the same file under another name (cert.pem and ca-certificates.crt) too
        if known is None or known[0] != found:
            reading = read_certificates(fd, hashed=hashed)
            known = (found, list(reading.certificates), list(reading.dropped))
            if sum(len(der) for der in reading.certificates) <= _KEPT_LIMIT:
                if len(_DECODED) >= _FILE_MEMO:
                    _DECODED.clear()
                _DECODED[key] = known
    finally:
        os.close(fd)
    return known


def file_holds(path: str, names: Collection[bytes], *, hashed: bool = False, carried: bool = False) -> bool:
    """Whether a CA file (or, `hashed`, a link's file) loads a certificate whose subject is one of `names`.

    With `carried`, a certificate the file carries and OpenSSL does not load counts too. A file an earlier check
    read, unchanged since, and none of whose certificates has the subject hash of a name, is not read again
    (`kept_subjects`); a file read here in full is kept so.
    """
    from cadoctor._facts.certs import kept_subjects

    if kept_subjects.lacks(path, hashed, names) is not None:
        return False
    loaded, dropped = noted_certificates(path, names, hashed)
    ders = loaded + dropped if carried and dropped else loaded
    return any(with_subject(ders, name) for name in names)


def noted_certificates(path: str, names: Collection[bytes], hashed: bool = False) -> tuple[list[bytes], list[bytes]]:
    """What OpenSSL loads from a CA file (or link), and what else it carries, read for `names`.

    Kept so that a later search for names none of them has need not read it (`kept_subjects`).
    """
    import time

    from cadoctor._facts.certs import kept_subjects

    now = time.time()
    known = _read(path, hashed)
    if known is None:
        return [], []
    found, loaded, dropped = known
    kept_subjects.note(path, hashed, names, found, (loaded, dropped), now)
    return loaded, dropped


_LINK_LIMIT = 1000  # `<hash>.<n>` links followed for one name


def store_holds(path: str, names: Collection[bytes], loose: bool = False, carried: bool = False) -> bool:
    """Whether a CA file or hashed folder holds a certificate with one of these subjects, without parsing it all.

    A folder answers through its `<hash>.<n>` links, as OpenSSL's lookup does (and, with `loose`, through its
    certificate files too: a local anchor folder is never linked); a file through what OpenSSL loads from it,
    where only a certificate that carries the name (raw, or a clue of its canonical form) is parsed. With
    `carried`, a certificate a file carries and OpenSSL does not load counts too (the file's damage is the news).
    """
    if not os.path.isdir(path):
        return file_holds(path, names, carried=carried)
    for name in names:
        try:
            prefix = os.path.join(path, subject_hash(name))
        except MalformedDER:
            continue
        for index in range(_LINK_LIMIT):
            link = "%s.%d" % (prefix, index)
            if not os.path.lexists(link):
                break
            if file_holds(link, (name,), hashed=True, carried=carried):
                return True
    if not loose:
        return False
    try:
        with os.scandir(path) as entries:
            files = [e.path for _, e in zip(range(DIRECTORY_LIMIT), entries) if e.name.endswith(CERT_SUFFIXES)]
    except OSError:
        return False
    return any(file_holds(file, names, hashed=True, carried=carried) for file in files)
