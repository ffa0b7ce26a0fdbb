"""The TLS alerts a peer sends when it rejects a certificate: one table for `check --host`, trials, `explain`.

Received by a client, such an alert is about the client's certificate (or its lack of one): `check --host`
reads it from OpenSSL's reason, and a fix trial's request refused with one proves nothing about the fix (the
reasons are sent to the trial's child, which cannot import this table). In a pasted message it is about whichever
side received it: `explain` reads it in every spelling below (its pattern is built from this table) and lets the
side that printed it decide.
"""

from __future__ import annotations

from cadoctor._record import record


@record
class CertificateAlert:
    """One alert that rejects a certificate, as OpenSSL reports it and as messages print it.

    Attributes:
        reason: OpenSSL's reason on receiving it (`ssl.SSLError.reason`): what a handshake here reports.
        printed: How messages print it, lowercase with `_` read as a space (as `explain` folds a text): OpenSSL's
            reason string first, then other libraries' (Java, Go, NSS, GnuTLS) and plain descriptions.

    """

    reason: str
    printed: tuple[str, ...]


CERTIFICATE_ALERTS: tuple[CertificateAlert, ...] = (
    CertificateAlert(
        "TLSV1_ALERT_UNKNOWN_CA",
        (
            "tlsv1 alert unknown ca",
            "received fatal alert: unknown ca",
            "received fatal alert: unknownca",
            "remote error: tls: unknown certificate authority",
            "ssl error unknown ca alert",
            "received server alert: fatal - unknown ca",
            "received client alert: fatal - unknown ca",
            "peer does not recognize and trust the ca",
        ),
    ),
    CertificateAlert(
        "SSLV3_ALERT_BAD_CERTIFICATE",
        (
            "sslv3 alert bad certificate",
            "received fatal alert: bad certificate",
            "received fatal alert: badcertificate",
            "remote error: tls: bad certificate",
            "ssl error bad cert alert",
            "received server alert: fatal - bad certificate",
            "received client alert: fatal - bad certificate",
        ),
    ),
    CertificateAlert(
        "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
        (
            "sslv3 alert certificate unknown",
            "received fatal alert: certificate unknown",
            "received fatal alert: certificateunknown",
            "remote error: tls: unknown certificate",
            "ssl error certificate unknown alert",
            "received server alert: fatal - certificate unknown",
            "received client alert: fatal - certificate unknown",
        ),
    ),
    CertificateAlert(
        "TLSV13_ALERT_CERTIFICATE_REQUIRED",
        (
            "alert certificate required",  # OpenSSL's `tlsv13 alert certificate required`, and others' alike
            "received fatal alert: certificate required",
            "received fatal alert: certificaterequired",
            "remote error: tls: certificate required",
            "received server alert: fatal - certificate required",
            "received client alert: fatal - certificate required",
        ),
    ),
    CertificateAlert(
        "TLSV1_ALERT_ACCESS_DENIED",
        (
            "tlsv1 alert access denied",
            "received fatal alert: access denied",
            "remote error: tls: access denied",
        ),
    ),
    CertificateAlert(
        "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
        (
            "sslv3 alert unsupported certificate",
            "received fatal alert: unsupported certificate",
        ),
    ),
    CertificateAlert("SSLV3_ALERT_CERTIFICATE_EXPIRED", ("sslv3 alert certificate expired",)),
    CertificateAlert("SSLV3_ALERT_CERTIFICATE_REVOKED", ("sslv3 alert certificate revoked",)),
)


REASONS = frozenset(alert.reason for alert in CERTIFICATE_ALERTS)
