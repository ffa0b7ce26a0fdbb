"""When a store's first valid certificate expires: read by the inventory, and the earliest of the stores in use."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from helpers.environment import child_env
from helpers.pki import make_ca
from helpers.runs import run_cadoctor
from prometheus_client.parser import text_string_to_metric_families

from cadoctor._facts.certs.bundle import inventory_bundle


def _not_after(pem: Path) -> int:
    """A certificate's end of validity as cryptography reads it, in Unix time."""
    return int(x509.load_pem_x509_certificate(pem.read_bytes()).not_valid_after_utc.timestamp())


@pytest.fixture
def three_roots(tmp_path: Path) -> tuple[Path, int]:
    """A CA file with a root valid 30 more days, one valid 400, and one expired yesterday; the 30-day one's end."""
    roots = [
        make_ca(tmp_path / "young", "Young Root", days=(-1, 30)),
        make_ca(tmp_path / "old", "Old Root", days=(-60, 400)),
        make_ca(tmp_path / "expired", "Expired Root", days=(-30, -1)),
    ]
    bundle = tmp_path / "roots.pem"
    bundle.write_bytes(b"".join(root.bundle.read_bytes() for root in roots))
    return bundle, _not_after(roots[0].bundle)


def test_a_bundle_knows_when_its_first_valid_certificate_expires(three_roots: tuple[Path, int]) -> None:
    """The earliest end among the certificates valid now, as cryptography reads it; the expired one is not counted
    (bundle-expired-roots says it); a file with none has no end to tell."""
    bundle, young = three_roots
    assert inventory_bundle(str(bundle), ("env:SSL_CERT_FILE",)).expires == young
    empty = bundle.parent / "empty.pem"
    empty.write_text("")
    assert inventory_bundle(str(empty), ("env:SSL_CERT_FILE",)).expires is None


def test_the_textfile_carries_the_earliest_expiry_of_the_stores_in_use(
    three_roots: tuple[Path, int], tmp_path: Path
) -> None:
    """SSL_CERT_FILE's roots and an empty SSL_CERT_DIR in effect: the metric is the 30-day root's end (or earlier,
    when a client's own store, pip's certifi, holds one ending sooner)."""
    bundle, young = three_roots
    folder = tmp_path / "no-certs"
    folder.mkdir()
    env = child_env(SSL_CERT_FILE=str(bundle), SSL_CERT_DIR=str(folder))
    done = run_cadoctor(["check", "--no-verify", "--format", "prometheus"], env)
    assert "Traceback" not in done.stderr, done.stderr
    samples = {s.name: s.value for f in text_string_to_metric_families(done.stdout) for s in f.samples}
    assert 0 < samples["cadoctor_roots_earliest_expiry_timestamp_seconds"] <= young
