"""The readers of foreign bytes, each with the one error it declares, their real seeds, and a mutator.

One table serves the property tests (tests/facts/test_readers_fuzz.py), the corpus they replay
(tests/facts/data/fuzz-corpus/<reader>/: every input that ever broke a reader), and `nox -s fuzz`
(fuzz/campaign.py: atheris, coverage-guided, where its wheels serve the Python; this mutator elsewhere). A reader
takes bytes and may raise only its declared error (None: it never raises).
"""

from __future__ import annotations

import base64
import glob
import os
import random
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

CORPUS = Path(__file__).parent.parent / "facts" / "data" / "fuzz-corpus"
SEED_LIMIT = 64  # seed files per reader: enough variety, small enough to start fast
_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----(.*?)-----END", re.S)


@dataclass(frozen=True)
class Reader:
    """One reader of foreign bytes.

    Attributes:
        call: Reads the bytes (raising only `declared`, if anything).
        declared: The one error it declares (None: it never raises).
        seeds: Real inputs to start from, found on this machine.
    """

    call: Callable[[bytes], object]
    declared: type[BaseException] | None
    seeds: Callable[[], list[bytes]] = field(default=lambda: [])


def _temporary(data: bytes, suffix: str = "") -> tuple[int, str]:
    """An open descriptor of a temporary file holding the bytes, and its path (the caller unlinks and closes)."""
    fd, path = tempfile.mkstemp(suffix=suffix)
    os.write(fd, data)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd, path


def _bundles() -> list[str]:
    """Real CA bundles here: the system's, certifi's, botocore's and pip's vendored certifi, if installed."""
    paths = glob.glob("/etc/ssl/certs/ca-certificates.crt") + glob.glob("/etc/pki/tls/certs/ca-bundle.crt")
    for module in ("certifi", "botocore", "pip._vendor.certifi"):
        try:
            found = __import__(module, fromlist=["_"]).__file__
        except ImportError:
            continue
        if found:
            paths += glob.glob(os.path.join(os.path.dirname(found), "*.pem"))
    return paths


def real_certificates() -> list[bytes]:
    """Every certificate of the real bundles here, as DER, each once."""
    found: dict[bytes, None] = {}
    for path in _bundles():
        for body in _PEM.findall(Path(path).read_bytes()):
            try:
                found[base64.b64decode(b"".join(body.split()))] = None
            except ValueError:
                continue
    return list(found)


def _bundle_seeds() -> list[bytes]:
    """Real bundles, and small pieces of them (a mutator makes more of a 200 KB file by cutting it)."""
    seeds = [Path(p).read_bytes() for p in _bundles()]
    pieces = [s[: s.find(b"-----END CERTIFICATE-----", 1) + 26] for s in seeds if b"-----END" in s]
    return pieces + seeds[:4]


def real_elf_files() -> list[str]:
    """Real ELF files here: the loaded libcrypto and libssl, this interpreter, extension modules, small programs."""
    import _ssl

    found = [os.path.realpath(sys.executable), _ssl.__file__]
    with open("/proc/self/maps", encoding="utf-8", errors="replace") as handle:
        found += sorted({line.split(None, 5)[5].strip() for line in handle if line.count(" ") >= 5 and "/" in line})
    found += glob.glob("/usr/bin/[a-c]*")[:16]
    return [p for p in dict.fromkeys(found) if os.path.isfile(p) and _head(p) == b"\x7fELF"]


def _head(path: str) -> bytes:
    """The first four bytes of a file (none when it cannot be read)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4)
    except OSError:
        return b""


def _elf_seeds() -> list[bytes]:
    """The head of each real ELF file (its headers, dynamic section and string table live in the first MiB)."""
    return [Path(p).read_bytes()[: 1 << 20] for p in sorted(real_elf_files(), key=os.path.getsize)[:SEED_LIMIT]]


def _read(*patterns: str) -> list[bytes]:
    """The bytes of the files these glob patterns find, at most SEED_LIMIT (unreadable ones left out)."""
    found = []
    for pattern in patterns:
        for path in sorted(glob.glob(pattern)):
            try:
                found.append(Path(path).read_bytes()[: 1 << 20])
            except OSError:
                continue
    return found[:SEED_LIMIT]


def _metadata_seeds() -> list[bytes]:
    """Real METADATA and PKG-INFO files of the distributions installed here."""
    import site

    folders = [*site.getsitepackages(), "/usr/lib/python3/dist-packages"]
    return _read(*(f + "/*.dist-info/METADATA" for f in folders), *(f + "/*.egg-info/PKG-INFO" for f in folders))


# ---- the readers


def _der(data: bytes) -> object:
    from cadoctor._facts.certs.chain import describe
    from cadoctor._facts.certs.der import MalformedDER, certificate_facts, certificate_parts, name_text
    from cadoctor._facts.certs.names import canonical_name, subject_hash

    facts = certificate_facts(data)
    try:
        describe(data)
    finally:
        parts = certificate_parts(data)
        for name in (parts.subject, parts.issuer):
            try:
                name_text(name), canonical_name(name), subject_hash(name)
            except MalformedDER:
                continue
    return facts


def _pem(data: bytes) -> object:
    from cadoctor._facts.certs.bundle import inventory_bundle

    fd, path = _temporary(data, ".pem")
    os.close(fd)
    try:
        return inventory_bundle(path, ("fuzzed",), None)
    finally:
        os.unlink(path)


def _elf(data: bytes) -> object:
    from cadoctor._facts.binary.elf import data_spans, read_elf
    from cadoctor._facts.binary.openssl_build import openssl_strings

    fd, path = _temporary(data, ".so")
    try:
        data_spans(path), openssl_strings(path)
        return read_elf(fd, ("OPENSSL_init_ssl", "SSL_CTX_new"))
    finally:
        os.close(fd)
        os.unlink(path)


def _loader_cache(data: bytes) -> object:
    from cadoctor._facts.binary.loader import parse_loader_cache

    return parse_loader_cache(data, "x86_64")


def _proc_stat(data: bytes) -> object:
    from cadoctor._facts.process.procfs import _stat_fields, _uids

    _uids(data)
    return _stat_fields(data)


def _proc_maps(data: bytes) -> object:
    from cadoctor._facts.process.procfs import _environ, parse_maps

    _environ(data)
    return parse_maps(data.decode("utf-8", "surrogateescape"))


def _metadata(data: bytes) -> object:
    from cadoctor._facts.child.distributions import _entry_name, headers

    text = data.decode("utf-8", "replace")
    _entry_name(text[:200])
    return headers(text)


def _configuration(data: bytes) -> object:
    from cadoctor._facts.child.files import Files
    from cadoctor._facts.interpreters.distributions import _toml_flag, aws_profile_of
    from cadoctor._facts.interpreters.ini import ini_sections

    fd, path = _temporary(data, ".conf")
    os.close(fd)
    try:
        _toml_flag(Files(), path, "native-tls")
    finally:
        os.unlink(path)
    text = data.decode("utf-8", "replace")
    for first in (False, True):
        for section in ini_sections(text, first):
            aws_profile_of(section)
    return None


def _pyvenv(data: bytes) -> object:
    from cadoctor._facts.fs.fileroot import HOST
    from cadoctor._facts.interpreters.proof import _home
    from cadoctor._facts.subjects.image import _venv_of

    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "bin").mkdir()
        Path(folder, "pyvenv.cfg").write_bytes(data)
        return _home(folder + "/bin/python"), _venv_of(HOST, folder + "/bin/python")


def _explain(data: bytes) -> object:
    from cadoctor._rules.explain.reading import explain

    return explain(data.decode("utf-8", "replace"))


def _declared_process_error() -> type[BaseException]:
    from cadoctor._errors import ProcessError

    return ProcessError


def _malformed_der() -> type[BaseException]:
    from cadoctor._facts.certs.der import MalformedDER

    return MalformedDER


def _elf_error() -> type[BaseException]:
    from cadoctor._facts.binary.elf import ElfError

    return ElfError


def readers() -> dict[str, Reader]:
    """Every reader of foreign bytes, by the name its corpus folder has."""
    return {
        "der": Reader(_der, _malformed_der(), real_certificates),
        "pem": Reader(_pem, None, _bundle_seeds),
        "elf": Reader(_elf, _elf_error(), _elf_seeds),
        "loader-cache": Reader(_loader_cache, None, lambda: _read("/etc/ld.so.cache")),
        "proc-stat": Reader(_proc_stat, _declared_process_error(), lambda: _read("/proc/self/stat", "/proc/1/stat")),
        "proc-maps": Reader(_proc_maps, None, lambda: _read("/proc/self/maps", "/proc/self/environ")),
        "metadata": Reader(_metadata, None, _metadata_seeds),
        "configuration": Reader(
            _configuration, None, lambda: _read("/etc/pip.conf", "/etc/xdg/pip/pip.conf", str(Path.home()) + "/.aws/*")
        ),
        "pyvenv": Reader(_pyvenv, None, lambda: _read(os.path.join(sys.prefix, "pyvenv.cfg"))),
        "explain": Reader(_explain, None, _explain_seeds),
    }


def _explain_seeds() -> list[bytes]:
    """Real error messages: explain's own corpus of text pasted from issue threads."""
    import json

    corpus = json.loads((Path(__file__).parent.parent / "rules" / "data" / "explain_corpus.json").read_text())
    return [entry["message"].encode() for entry in corpus]


def crashes(reader: Reader, data: bytes) -> BaseException | None:
    """The exception the reader raised that it does not declare, if any."""
    try:
        reader.call(data)
    except Exception as exc:  # what the reader raised is the finding
        if reader.declared is not None and isinstance(exc, reader.declared):
            return None
        return exc
    return None


# ---- mutation

_INTERESTING = (b"\x00", b"\xff", b"\x7f", b"\x80", b"\x81", b"\x82\xff\xff", b"\x84\xff\xff\xff\xff", b"\n", b"\r")


def mutate(data: bytes, rnd: random.Random, others: list[bytes]) -> bytes:
    """One to four of: a byte set, bytes cut or inserted, an interesting value, a run repeated, a splice."""
    out = bytearray(data or b"\x00")
    for _ in range(rnd.randint(1, 4)):
        at = rnd.randrange(len(out) or 1)
        kind = rnd.randrange(7)
        if kind == 0:
            out[at : at + 1] = bytes([rnd.randrange(256)])
        elif kind == 1:
            del out[at : at + rnd.choice((1, 2, 4, 64))]
        elif kind == 2:
            out[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))
        elif kind == 3:
            out[at : at + 1] = rnd.choice(_INTERESTING)
        elif kind == 4:
            out[at:at] = bytes(out[at : at + rnd.randint(1, 16)]) * rnd.randint(2, 64)
        elif kind == 5 and others:
            other = rnd.choice(others)
            start = rnd.randrange(len(other) or 1)
            out[at:] = other[start : start + rnd.randint(1, 4096)] + bytes(out[at:])
        else:
            out[at : at + 1] = bytes([out[at] ^ (1 << rnd.randrange(8))]) if out else b""
    return bytes(out)


def campaign(reader: Reader, count: int, seed: int) -> Iterator[tuple[bytes, BaseException]]:
    """`count` mutations of the reader's seeds (and corpus), each input that crashed it with what it raised."""
    seeds = reader.seeds() or [b""]
    rnd = random.Random(seed)  # noqa: S311 - a campaign is replayed by its seed
    for _ in range(count):
        data = mutate(rnd.choice(seeds), rnd, seeds)
        error = crashes(reader, data)
        if error is not None:
            yield data, error


def corpus(name: str) -> list[bytes]:
    """The inputs kept for one reader: each broke it once."""
    folder = CORPUS / name
    return [p.read_bytes() for p in sorted(folder.iterdir())] if folder.is_dir() else []
