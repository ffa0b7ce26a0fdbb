"""Every reader of foreign bytes raises only the error it declares, in time linear in its input (issue 27).

The readers, their declared errors and their real seeds are one table (`helpers.fuzzing`), which `nox -s fuzz`
runs for long; here each gets a short property-based run over mutations of its real seeds and over plain bytes,
every input that ever broke one (tests/facts/data/fuzz-corpus/<reader>/) is replayed, and each reads half a
megabyte's worth of one repeated piece (the shapes that make a backtracking regex or a nested scan quadratic)
within a bound linear time keeps easily.
"""

from __future__ import annotations

import random
import time

import pytest
from helpers.fuzzing import CORPUS, Reader, corpus, crashes, mutate, readers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

READERS = readers()
# The slow readers (a temporary file each, or the loaded libcrypto's reading) get fewer examples.
EXAMPLES = {"pem": 25, "elf": 40, "pyvenv": 25, "configuration": 40, "loader-cache": 40}
_SEEDS: dict[str, list[bytes]] = {}


def _seeds(name: str) -> list[bytes]:
    """A reader's real seeds and corpus, read once per session."""
    if name not in _SEEDS:
        _SEEDS[name] = (READERS[name].seeds() + corpus(name)) or [b""]
    return _SEEDS[name]


def _no_crash(reader: Reader, data: bytes) -> None:
    """The reader returns, or raises what it declares."""
    error = crashes(reader, data)
    assert error is None, "%r on %r" % (error, data[:200])


@pytest.mark.parametrize("name", sorted(READERS))
def test_each_reader_raises_only_its_declared_error_on_mutated_real_input(name: str) -> None:
    """Mutations of real files (bundles, certificates, ELF files, /proc, METADATA, configs, messages) never make a
    reader raise anything but its declared error."""
    seeds = _seeds(name)

    @settings(max_examples=EXAMPLES.get(name, 150), deadline=None, suppress_health_check=list(HealthCheck))
    @given(index=st.integers(0, len(seeds) - 1), seed=st.integers(0, 2**32 - 1))
    def mutated(index: int, seed: int) -> None:
        _no_crash(READERS[name], mutate(seeds[index], random.Random(seed), seeds))  # noqa: S311 - replayable

    mutated()


@pytest.mark.parametrize("name", sorted(READERS))
def test_each_reader_raises_only_its_declared_error_on_any_bytes(name: str) -> None:
    """Arbitrary bytes never make a reader raise anything but its declared error."""

    @settings(max_examples=EXAMPLES.get(name, 150) // 2, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.binary(max_size=2048))
    def any_bytes(data: bytes) -> None:
        _no_crash(READERS[name], data)

    any_bytes()


def _kept() -> list[tuple[str, str]]:
    """Every input of the corpus, as (reader, file name)."""
    return [(f.parent.name, f.name) for f in sorted(CORPUS.glob("*/*"))]


@pytest.mark.parametrize(("name", "file"), _kept())
def test_every_input_that_ever_broke_a_reader_is_read_without_crashing(name: str, file: str) -> None:
    """Each kept input is read within a second, raising at most the reader's declared error."""
    data = (CORPUS / name / file).read_bytes()
    started = time.perf_counter()
    _no_crash(READERS[name], data)
    assert time.perf_counter() - started < 1.0


def test_the_corpus_keeps_inputs_of_known_readers_only() -> None:
    """A corpus folder is named after a reader of the table: none is replayed by mistake against nothing."""
    assert {f.parent.name for f in CORPUS.glob("*/*")} <= set(READERS)
    assert len(_kept()) >= 8


# Repeated, these make a backtracking regex, a search restarted at every line, or a string built piece by piece
# cost the square of their length: blank lines and spaces, `key =` lines, BEGIN markers, DER length bytes.
PIECES = (
    b"\n",
    b" \n",
    b"\n ",
    b"\t",
    b"\r",
    b"x=\n ",
    b"[a]\nb=",
    b"home =",
    b"include-system-site-packages",
    b"Name: a\n",
    b"-----BEGIN ",
    b"-----BEGIN CERTIFICATE-----\n",
    b"-----END CERTIFICATE-----",
    b"\x30\x82",
    b"\x30\x80",
    b"\x00",
    b"\xff",
    b"a",
    b"a.",
    b"0",
    b"(",
    b")",
    b":",
    b"/",
    b"\\",
    b"'",
    b'"',
    b"error:",
    b"certificate verify failed ",
    b"https://",
    b"host=",
)
LINEAR_SIZE = 1 << 16


@pytest.mark.parametrize("name", sorted(READERS))
def test_each_reader_takes_linear_time_on_repeated_pieces(name: str) -> None:
    """64 KiB of any one repeated piece is read within a second (a quadratic reader takes minutes)."""
    slowest = (0.0, b"")
    for piece in PIECES:
        data = (piece * (LINEAR_SIZE // len(piece) + 1))[:LINEAR_SIZE]
        started = time.perf_counter()
        _no_crash(READERS[name], data)
        slowest = max(slowest, (time.perf_counter() - started, piece))
    assert slowest[0] < 1.0, slowest
