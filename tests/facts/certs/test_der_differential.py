"""The DER reader against cryptography and the loaded libcrypto: same acceptance, names, dates and serials.

On every real root all three agree. On mutations of them (a bounded sample here; a million in `nox -s fuzz`):
what cadoctor accepts, OpenSSL loads, with the same names, validity and serial as OpenSSL and cryptography read;
what OpenSSL and cryptography both load, cadoctor accepts. Where those two disagree with each other (cryptography
rejects a PrintableString with a character outside its alphabet, or a BOOLEAN other than 0xFF; OpenSSL rejects
a name in a VisibleString), cadoctor sides with one of them, and never with acceptance OpenSSL refuses: a bundle
whose certificate it rejects goes to OpenSSL's own reading.
"""

from __future__ import annotations

import tempfile

from helpers.differential import cadoctor_reading, cryptography_reading, differential, openssl_reading
from helpers.fuzzing import real_certificates

SAMPLE = 4000  # mutations in CI: a few seconds


def test_all_three_readers_agree_on_every_real_root() -> None:
    """Every certificate of the system store, certifi, botocore and pip reads the same in all three."""
    ders = real_certificates()
    assert len(ders) > 100
    with tempfile.TemporaryDirectory() as folder:
        for der in ders:
            ours = cadoctor_reading(der)
            assert ours is not None
            assert ours == cryptography_reading(der) == openssl_reading(der, folder)


def test_mutated_roots_read_alike_or_cadoctor_defers_to_openssl() -> None:
    """A bounded sample of mutated real roots: cadoctor accepts only what OpenSSL loads, with its very fields."""
    outcomes = differential(SAMPLE, seed=27)
    assert outcomes["+ cadoctor, + cryptography, + OpenSSL"] > SAMPLE // 10  # the sample reaches accepted ones
