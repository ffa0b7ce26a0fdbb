"""CAs and chains made for one test: real keys, real extensions, written as PEM files (no pytest: bench uses it)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class GeneratedCA:
    """A CA generated for one test, with a server certificate for localhost."""

    bundle: Path
    cert: Path
    key: Path
    name: str


def make_ca(
    directory: Path, name: str = "cadoctor Test Root", *, days: tuple[int, int] = (-1, 30), strict: bool = True
) -> GeneratedCA:
    """Generate a root CA and a localhost server certificate signed by it.

    `days` is the CA's validity relative to now; `strict=False` makes the legacy kind of CA that Python 3.13's
    strict verification rejects (basicConstraints not critical, no subject key identifier).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=days[0]))
        .not_valid_after(now + datetime.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=strict)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    )
    if strict:
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
    ca = builder.sign(ca_key, hashes.SHA256())
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    bundle, cert, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    bundle.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return GeneratedCA(bundle, cert, key_path, name)


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
    client: bool = False,
) -> Chain:
    """Generate root → (intermediate →) leaf, with the leaf's validity, names and AIA under the test's control.

    The leaf is a server's (extended key usage serverAuth), or with `client` a client's (clientAuth): a server
    that requires client certificates rejects a server's.
    """
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
        .add_extension(
            x509.ExtendedKeyUsage(
                [x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH if client else x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
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


def pem_count(path: str | Path) -> int:
    """The whole certificate blocks of a PEM file, counted by their END lines: what an inventory should count."""
    return Path(path).read_bytes().count(b"-----END CERTIFICATE-----")
