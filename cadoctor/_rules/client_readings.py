"""Each library's reading of the CA variables and settings it honours: measured, kind of value by kind of value.

One reading per library and variable (or configuration setting), shared by the rows of `client_table.py` that
read it the same way; the comment above each cites the function that decides. Measured with the real clients,
one request per value: unset, empty, a file with the root, one without it, a missing path, relative paths,
hashed and unhashed folders, a FIFO, an empty folder (issue 23's research, on Debian 12 and in a bookworm chroot).
"""

from __future__ import annotations

from cadoctor._rules.client_values import (
    ABORTS,
    CAFILE,
    CAPATH,
    EMPTY,
    EVERY_FILE,
    FAILS_CLOSED,
    LOADS,
    NO_VERIFICATION,
    NOTHING,
    RAISES,
    SKIPPED,
    WORKING_DIRECTORY,
    Reading,
    effects,
)

# The default store a client's own resolver names (certifi.where(), the bundle it ships), handed to OpenSSL as its
# CA file: requests' HTTPAdapter.cert_verify raises for a path that is not there ("Could not find a suitable TLS CA
# certificate bundle"), httpx's create_default_context(cafile=), urllib3's and httplib2's load_verify_locations raise
# for a file that is missing, unreadable or holds no certificate (a path inside a zip archive is not there: OpenSSL
# opens real files only), botocore's urllib3 context likewise (measured: "SSL validation failed ... [Errno 2] No such
# file or directory"), and a FIFO blocks the first request. Never read from a variable: its name is a label.
DEFAULT_STORE = Reading(
    "default store",
    effects(),
    {
        "*": "at its first request (requests: OSError: Could not find a suitable TLS CA certificate bundle; botocore: "
        "SSLError: SSL validation failed, No such file or directory; the others: load_verify_locations' error)"
    },
)

# OpenSSL's default paths (X509_STORE_set_default_paths): each variable replaces its own half, the file or the
# folders, and the probe already resolved both. A FIFO blocks the client at its first context; OpenSSL 3 also
# opens SSL_CERT_DIR as a store URI, so a PEM file there loads and a FIFO there blocks.
OPENSSL_FILE = Reading(
    "SSL_CERT_FILE",
    effects(empty=NOTHING, no_certificates=NOTHING, missing=NOTHING, hashed=NOTHING, unreadable=NOTHING),
    part=CAFILE,
)
OPENSSL_DIR = Reading(
    "SSL_CERT_DIR",
    effects(empty=NOTHING, no_certificates=NOTHING, missing=NOTHING, unreadable=NOTHING),
    part=CAPATH,
    listed=True,
)
OPENSSL_READINGS = (OPENSSL_FILE, OPENSSL_DIR)

# requests' Session.merge_environment_settings: REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE or verify (an empty value
# falls through); HTTPAdapter.cert_verify raises for a path that does not exist and takes a folder as ca_cert_dir.
_NO_BUNDLE = {"*": "OSError: Could not find a suitable TLS CA certificate bundle, invalid path"}
_REQUESTS_VALUE = effects()
REQUESTS = (
    Reading("REQUESTS_CA_BUNDLE", _REQUESTS_VALUE, _NO_BUNDLE),
    Reading("CURL_CA_BUNDLE", _REQUESTS_VALUE, _NO_BUNDLE),
)
# Before requests 2.28 (psf/requests#6074) `REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE` was taken as it was: the last
# one set empty made verify '' and verification off.
REQUESTS_BEFORE_2_28 = (REQUESTS[0], Reading("CURL_CA_BUNDLE", effects(empty=NO_VERIFICATION), _NO_BUNDLE))
PIP_OWN = (Reading("PIP_CERT", _REQUESTS_VALUE, _NO_BUNDLE), Reading("pip.conf cert", _REQUESTS_VALUE, _NO_BUNDLE))

# httpx 0.28's create_ssl_context: a non-empty SSL_CERT_FILE is cafile= (raises when it cannot be loaded), else a
# non-empty SSL_CERT_DIR is capath= (never raises: OpenSSL looks names up there, lazily).
HTTPX = (
    Reading(
        "SSL_CERT_FILE",
        effects(hashed=RAISES, unhashed=RAISES, empty_folder=RAISES),
        {"*": "FileNotFoundError, IsADirectoryError or ssl.SSLError building the client"},
    ),
    Reading(
        "SSL_CERT_DIR",
        effects(file=NOTHING, no_certificates=NOTHING, missing=NOTHING, blocking=NOTHING, unreadable=NOTHING),
        listed=True,
    ),
)
# httpx before 0.28 (get_ca_bundle_from_env): SSL_CERT_FILE only when it is a file, else SSL_CERT_DIR only when
# it is a folder; Path('') is '.', so an empty SSL_CERT_DIR makes the working directory the CA folder.
HTTPX_BEFORE_0_28 = (
    Reading(
        "SSL_CERT_FILE",
        effects(missing=SKIPPED, hashed=SKIPPED, unhashed=SKIPPED, empty_folder=SKIPPED, blocking=SKIPPED),
        {"*": "ssl.SSLError loading it"},
    ),
    Reading(
        "SSL_CERT_DIR",
        effects(
            empty=WORKING_DIRECTORY,
            file=SKIPPED,
            no_certificates=SKIPPED,
            missing=SKIPPED,
            blocking=SKIPPED,
            unreadable=SKIPPED,
        ),
    ),
)
# botocore: AWS_CA_BUNDLE > `ca_bundle` of the profile > REQUESTS_CA_BUNDLE, the first one present (empty too);
# httpsession.py _setup_ssl_cert only ever sets ca_certs, so any folder raises; an empty value fails
# _validate_verify_value since 1.43.54 (boto/botocore#3751) and turned verification off before it.
_BOTOCORE_RAISES = {
    EMPTY: "InvalidConfigError: Invalid CA bundle (an empty value)",
    "*": "botocore.exceptions.SSLError: the bundle cannot be loaded (a missing path, a folder)",
}


def botocore(empty: str) -> tuple[Reading, ...]:
    """The three sources of botocore, with what an empty value does in that version."""
    value = effects(empty=empty, hashed=RAISES, unhashed=RAISES, empty_folder=RAISES)
    names = ("AWS_CA_BUNDLE", "aws config ca_bundle", "REQUESTS_CA_BUNDLE")
    return tuple(Reading(name, value, _BOTOCORE_RAISES) for name in names)


# httplib2/certs.py where(): HTTPLIB2_CA_CERTS must pass os.path.isfile, else RuntimeError at import.
HTTPLIB2 = Reading(
    "HTTPLIB2_CA_CERTS",
    effects(empty=RAISES, hashed=RAISES, unhashed=RAISES, empty_folder=RAISES, blocking=RAISES),
    {"*": "RuntimeError: Environment variable HTTPLIB2_CA_CERTS not a valid file (at import)"},
)
# grpc C-core (ssl_utils.cc, load_file.cc): a file it cannot read is logged and the bundled roots serve; a folder
# aborts the process in the event engine's thread; a FIFO blocks the call until its deadline.
GRPC_FILE = Reading(
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH",
    effects(
        missing=SKIPPED,
        no_certificates=NOTHING,
        hashed=ABORTS,
        unhashed=ABORTS,
        empty_folder=ABORTS,
        unreadable=SKIPPED,
    ),
)
GRPC_SYSTEM_DIR = Reading(
    "GRPC_SYSTEM_SSL_ROOTS_DIR",
    effects(
        file=SKIPPED,
        no_certificates=SKIPPED,
        missing=SKIPPED,
        unhashed=LOADS,
        blocking=SKIPPED,
        unreadable=SKIPPED,
    ),
    folders=EVERY_FILE,
)
# uv (rustls): SSL_CERT_FILE, and SSL_CERT_DIR since 0.9.10, replace the roots; every file of a folder is read.
# Before 0.12 a path that is not there is ignored ("Ignoring invalid `SSL_CERT_FILE`"); since 0.12 it fails
# closed ("No default certificates will be trusted"). With the OS store (--system-certs, UV_SYSTEM_CERTS since
# 0.11; --native-tls) an empty SSL_CERT_FILE is "No CA certificates were loaded from the system".
UV_IGNORES = effects(
    missing=SKIPPED,
    hashed=SKIPPED,
    unhashed=SKIPPED,
    empty_folder=SKIPPED,
    blocking=SKIPPED,
    no_certificates=NOTHING,
    unreadable=SKIPPED,
)
UV_DIR_IGNORES = effects(
    file=SKIPPED, no_certificates=SKIPPED, missing=SKIPPED, unhashed=LOADS, blocking=SKIPPED, unreadable=SKIPPED
)
UV_FAILS = effects(
    missing=FAILS_CLOSED,
    hashed=FAILS_CLOSED,
    unhashed=FAILS_CLOSED,
    empty_folder=FAILS_CLOSED,
    blocking=FAILS_CLOSED,
    no_certificates=NOTHING,
    unreadable=FAILS_CLOSED,
)
UV_DIR_FAILS = effects(
    file=FAILS_CLOSED,
    no_certificates=FAILS_CLOSED,
    missing=FAILS_CLOSED,
    unhashed=LOADS,
    blocking=FAILS_CLOSED,
    unreadable=FAILS_CLOSED,
)
_NO_SYSTEM_CERTIFICATES = {EMPTY: "error: No CA certificates were loaded from the system"}


def uv(file: dict[str, str], folder: dict[str, str] | None, empty: str = SKIPPED) -> tuple[Reading, ...]:
    """The variables uv reads: SSL_CERT_FILE, and SSL_CERT_DIR where it reads it."""
    readings = [Reading("SSL_CERT_FILE", {**file, EMPTY: empty}, _NO_SYSTEM_CERTIFICATES)]
    if folder is not None:
        readings.append(Reading("SSL_CERT_DIR", folder, folders=EVERY_FILE, listed=True))
    return tuple(readings)
