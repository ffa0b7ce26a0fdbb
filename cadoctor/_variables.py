"""The environment variables that shape trust: kept once, for the facts that copy them and the rules that name them.

A base module (anyone may import it). The child holds no copy: each request to it, and each in-process call,
names the variables it copies and the ones that mark a platform (`for_child`).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Every variable that points a TLS client at CA certificates, and who reads it (a finding names them).
CA_VARIABLES: dict[str, str] = {
    "SSL_CERT_FILE": "OpenSSL (Python ssl, curl, git with OpenSSL)",
    "SSL_CERT_DIR": "OpenSSL (Python ssl, curl, git with OpenSSL)",
    "REQUESTS_CA_BUNDLE": "requests, pip",
    "CURL_CA_BUNDLE": "curl, requests",
    "PIP_CERT": "pip",
    "AWS_CA_BUNDLE": "botocore, AWS CLI",
    "NODE_EXTRA_CA_CERTS": "Node.js",
    "GIT_SSL_CAINFO": "git",
    "HTTPLIB2_CA_CERTS": "httplib2",
    "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": "gRPC",
    "GRPC_SYSTEM_SSL_ROOTS_DIR": "gRPC (with GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK)",
    "NIX_SSL_CERT_FILE": "Nix-built OpenSSL",
    "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE": "Google Cloud SDK",
}


# Variables that change which libraries or configuration OpenSSL uses.
LIBRARY_VARIABLES = ("LD_LIBRARY_PATH", "LD_PRELOAD", "OPENSSL_CONF", "OPENSSL_MODULES", "OPENSSL_ENGINES")


LIBRARY_PREFIXES = ("DYLD_",)  # the macOS loader's variables: every one of them changes what loads


# Switches that change which store a client library or native stack uses (uv, pip, grpc, node, libpq).
CLIENT_VARIABLES = (
    "UV_SYSTEM_CERTS",
    "UV_NATIVE_TLS",
    "PIP_USE_FEATURE",
    "PIP_USE_DEPRECATED",
    "GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK",
    "NODE_OPTIONS",
    "PGSSLROOTCERT",
    "HOME",
    "XDG_CONFIG_HOME",
    "PIP_CONFIG_FILE",
    "XDG_CONFIG_DIRS",
    "AWS_CONFIG_FILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_PROFILE",
    "UV_CONFIG_FILE",
)


# Variables that mark a serverless platform, with the hint they give.
PLATFORM_VARIABLES = (
    ("AWS_LAMBDA_FUNCTION_NAME", "aws-lambda"),
    ("FUNCTIONS_WORKER_RUNTIME", "azure-functions"),
    ("K_SERVICE", "google-cloud-run"),
)


COPIED = (*CA_VARIABLES, *LIBRARY_VARIABLES, *CLIENT_VARIABLES)  # what the facts copy of an environment


def for_child() -> dict[str, Any]:
    """The tables as the child's facts take them (in a request, or in-process): what to copy, what marks a platform."""
    return {
        "copied": list(COPIED),
        "prefixes": list(LIBRARY_PREFIXES),
        "platforms": [list(pair) for pair in PLATFORM_VARIABLES],
    }
