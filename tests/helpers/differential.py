"""Three readings of one DER certificate: cadoctor's DER reader, cryptography's, and the loaded libcrypto's.

Each reading is None (rejected) or (subject, issuer, not before, not after, serial), the names as the values of
their attributes in order (first RDN first), the times as `(year, month, day, hour, minute, second)` in UTC.
The libcrypto is the one Python's `ssl` runs (reached through `_ssl`'s own handle: never a new copy); its
`d2i_X509` decides acceptance, as it does when a CA file is loaded, and `_ssl._test_decode_cert` gives the fields.
"""

from __future__ import annotations

import ctypes
import os
import random
import ssl
import tempfile
import time
import warnings
from collections import Counter
from functools import lru_cache
from typing import Any, Optional

from cadoctor._facts.certs.der import MalformedDER, certificate_facts, read_tlv, string_text

Reading = Optional[tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...], tuple[int, ...], int]]


@lru_cache(maxsize=1)
def _libcrypto() -> Any:
    """The libcrypto `_ssl` is linked with, its d2i_X509 and X509_free bound."""
    import _ssl

    library = ctypes.CDLL(_ssl.__file__)
    library.d2i_X509.restype = ctypes.c_void_p
    library.d2i_X509.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]
    library.X509_free.argtypes = [ctypes.c_void_p]
    library.ERR_clear_error.argtypes = []
    return library


def openssl_accepts(der: bytes) -> bool:
    """Whether the loaded libcrypto's d2i_X509 reads a certificate from these bytes (a CA file's loader ignores
    what follows it, as cadoctor's inventory does)."""
    library = _libcrypto()
    pointer = ctypes.c_char_p(der)
    cert = library.d2i_X509(None, ctypes.byref(pointer), len(der))
    library.ERR_clear_error()
    if not cert:
        return False
    library.X509_free(cert)
    return True


def _openssl_time(text: str) -> tuple[int, ...]:
    """`May  5 09:37:37 2011 GMT` as a tuple."""
    return tuple(time.strptime(text, "%b %d %H:%M:%S %Y GMT")[:6])


def openssl_reading(der: bytes, folder: str) -> Reading:
    """What the loaded libcrypto reads (None: it rejects the certificate, or `_ssl` cannot show its fields: it
    decodes some extensions too, and fails on a URI that is not ASCII)."""
    if not openssl_accepts(der):
        return None
    import _ssl

    path = os.path.join(folder, "certificate.pem")
    with open(path, "w", encoding="ascii") as handle:
        handle.write(ssl.DER_cert_to_PEM_cert(der))
    try:
        decoded = _ssl._test_decode_cert(path)  # type: ignore[attr-defined]
    except (ssl.SSLError, ValueError, UnicodeDecodeError):
        return None
    serial = decoded["serialNumber"]
    return (
        tuple(value for rdn in decoded["subject"] for _, value in rdn),
        tuple(value for rdn in decoded["issuer"] for _, value in rdn),
        _openssl_time(decoded["notBefore"]),
        _openssl_time(decoded["notAfter"]),
        -int(serial[1:], 16) if serial.startswith("-") else int(serial, 16),
    )


def cryptography_reading(der: bytes) -> Reading:
    """What cryptography reads (None: it rejects the certificate, or cannot decode a name)."""
    from cryptography import x509

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # non-positive serials of some real roots
        try:
            cert = x509.load_der_x509_certificate(der)
            names = [tuple(str(a.value) for a in name) for name in (cert.subject, cert.issuer)]
            return (
                names[0],
                names[1],
                cert.not_valid_before_utc.timetuple()[:6],
                cert.not_valid_after_utc.timetuple()[:6],
                cert.serial_number,
            )
        except (ValueError, TypeError, x509.InvalidVersion):  # TypeError: a BIT STRING value in a name
            return None


def _values(name: bytes) -> tuple[str, ...]:
    """The string values of a DER Name's attributes, in order (others as their hex, as no string)."""
    from cadoctor._facts.certs.der import children

    _, start, end = read_tlv(name, 0)
    values = []
    for _, _, set_start, set_end in children(name, start, end):
        for _, _, at_start, at_end in children(name, set_start, set_end):
            _, (tag, _, value_start, value_end) = children(name, at_start, at_end)
            values.append(string_text(tag, name[value_start:value_end]))
    return tuple(values)


def cadoctor_reading(der: bytes) -> Reading:
    """What cadoctor's DER reader reads (None: MalformedDER)."""
    try:
        facts = certificate_facts(der[: read_tlv(der, 0)[2]])  # as the inventory reads it (`bundle.parse`)
        return (
            _values(facts.parts.subject),
            _values(facts.parts.issuer),
            facts.not_before,
            facts.not_after,
            facts.serial,
        )
    except MalformedDER:
        return None


def readings(der: bytes) -> tuple[Reading, Reading, Reading]:
    """cadoctor's, cryptography's and the libcrypto's readings of one certificate."""
    with tempfile.TemporaryDirectory() as folder:
        return cadoctor_reading(der), cryptography_reading(der), openssl_reading(der, folder)


def differential(count: int, seed: int, *, both: bool = True) -> Counter[str]:
    """Mutate real roots `count` times and read each three ways: every outcome counted, and AssertionError at the
    first disagreement that matters (cadoctor accepts what OpenSSL refuses, or reads other fields than OpenSSL or
    cryptography; with `both`, rejects what both load, else that is counted: OpenSSL's own reading then decides)."""
    from helpers.fuzzing import mutate, real_certificates

    ders = real_certificates()
    rnd = random.Random(seed)  # noqa: S311 - a sample replayed by its seed
    outcomes: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(count):
            der = mutate(rnd.choice(ders), rnd, [])
            ours, theirs, loads = cadoctor_reading(der), cryptography_reading(der), openssl_accepts(der)
            signs = ["-" if x is None else "+" for x in (ours, theirs, loads or None)]
            outcomes["%s cadoctor, %s cryptography, %s OpenSSL" % tuple(signs)] += 1
            if ours is not None:
                assert loads, "cadoctor accepts what OpenSSL refuses: %s" % der.hex()
                fields = openssl_reading(der, folder)
                assert fields is None or ours == fields, "OpenSSL reads other fields: %s" % der.hex()
                assert theirs is None or ours == theirs, "cryptography reads other fields: %s" % der.hex()
                outcomes["OpenSSL's fields compared"] += fields is not None
            elif loads and theirs is not None:
                assert not both, "OpenSSL and cryptography load what cadoctor rejects: %s" % der.hex()
                outcomes["rejected by cadoctor alone (OpenSSL's reading decides)"] += 1
    return outcomes
