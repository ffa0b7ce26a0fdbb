"""A certificate of a server's chain as a report shows it: its names, validity, key identifiers, where its issuer is.

Read from DER with the standard library; whether it is self-issued is decided as OpenSSL decides it
(`X509_NAME_cmp` of its issuer and subject, `names.same_name`), not byte for byte.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from cadoctor._facts.certs.der import (
    Instant,
    MalformedDER,
    certificate_facts,
    children,
    name_text,
    read_tlv,
    tbs_fields,
)
from cadoctor._facts.certs.names import same_name
from cadoctor._model import ChainCertificate

_SKI, _AKI = b"\x55\x1d\x0e", b"\x55\x1d\x23"  # 2.5.29.14, 2.5.29.35 as DER OID content
_SAN, _AIA = b"\x55\x1d\x11", b"\x2b\x06\x01\x05\x05\x07\x01\x01"  # 2.5.29.17, 1.3.6.1.5.5.7.1.1
_CA_ISSUERS = b"\x2b\x06\x01\x05\x05\x07\x30\x02"  # 1.3.6.1.5.5.7.48.2
_MAX_NAMES = 100  # a certificate's names kept for a report (some carry thousands)


def _time(moment: Instant) -> str:
    """ISO 8601 text of a certificate's time (UTC, seconds)."""
    return "%04d-%02d-%02dT%02d:%02d:%02d+00:00" % moment


def describe(der: bytes) -> ChainCertificate:
    """Subject, issuer, validity and key identifiers of a certificate, read from its DER (raises MalformedDER).

    A server sends these bytes: the whole outline is checked first (`certificate_facts`), and an extension
    whose value does not read as its kind is left out, never an exception.
    """
    facts = certificate_facts(der)
    fields = tbs_fields(der)
    issuer, subject = facts.parts.issuer, facts.parts.subject
    keys: dict[str, str] = {}
    names: list[str] = []
    issuers: list[str] = []
    for oid, parts in _extensions(der, fields):
        value = der[parts[-1][2] : parts[-1][3]]
        with contextlib.suppress(MalformedDER):  # an extension that does not read gives nothing
            if oid == _SAN:
                names += _general_names(value, {0x82, 0x87})
            elif oid == _AIA:
                issuers += _ca_issuers(value)
            elif oid == _SKI:
                _, k_start, k_end = read_tlv(value, 0)
                keys["ski"] = value[k_start:k_end].hex(":")
            elif oid == _AKI:
                _, seq_start, seq_end = read_tlv(value, 0)
                for inner_tag, _, k_start, k_end in children(value, seq_start, seq_end):
                    if inner_tag == 0x80:
                        keys["aki"] = value[k_start:k_end].hex(":")
    return ChainCertificate(
        subject=name_text(subject),
        issuer=name_text(issuer),
        not_before=_time(facts.not_before),
        not_after=_time(facts.not_after),
        subject_key_id=keys.get("ski"),
        authority_key_id=keys.get("aki"),
        self_issued=same_name(issuer, subject),
        names=tuple(names[:_MAX_NAMES]),
        ca_issuers=tuple(issuers[:_MAX_NAMES]),
        der=der,
    )


def _general_names(value: bytes, wanted: set[int]) -> list[str]:
    """The DNS names, IP addresses or URIs of a GeneralNames sequence (other kinds are left out)."""
    _, start, end = read_tlv(value, 0)
    found = []
    for tag, _, at, stop in children(value, start, end):
        if tag not in wanted:
            continue
        if tag == 0x87:  # iPAddress: 4 or 16 bytes
            import ipaddress

            with contextlib.suppress(ValueError):
                found.append(str(ipaddress.ip_address(value[at:stop])))
        else:  # dNSName, uniformResourceIdentifier: IA5String
            found.append(value[at:stop].decode("latin-1"))
    return found


def _ca_issuers(value: bytes) -> list[str]:
    """The caIssuers URIs of an Authority Information Access extension: where a client may fetch the issuer."""
    _, start, end = read_tlv(value, 0)
    found = []
    for _, _, at, stop in children(value, start, end):
        parts = children(value, at, stop)
        if len(parts) == 2 and value[parts[0][2] : parts[0][3]] == _CA_ISSUERS and parts[1][0] == 0x86:
            found.append(value[parts[1][2] : parts[1][3]].decode("latin-1"))
    return found


def _extensions(
    der: bytes, fields: list[tuple[int, int, int, int]]
) -> Iterator[tuple[bytes, list[tuple[int, int, int, int]]]]:
    """Each extension's OID (its DER content: compared as bytes, never turned into text) and its parts."""
    for tag, _, start, _ in fields[6:]:
        if tag != 0xA3:  # [3] extensions
            continue
        _, list_start, list_end = read_tlv(der, start)
        for _, _, ext_start, ext_end in children(der, list_start, list_end):
            parts = children(der, ext_start, ext_end)
            if not parts or parts[0][0] != 0x06:
                raise MalformedDER("an extension without its OID")
            yield der[parts[0][2] : parts[0][3]], parts
