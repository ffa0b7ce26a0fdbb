"""Who reads each CA variable: the consumers a finding names when a variable points somewhere useless."""

from __future__ import annotations

# The probe captures these variables by name (`probe.CA_VARIABLES`, same order); a test keeps the two in step.
CONSUMERS: dict[str, str] = {
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
    "NIX_SSL_CERT_FILE": "Nix-built OpenSSL",
    "CLOUDSDK_CORE_CUSTOM_CA_CERTS_FILE": "Google Cloud SDK",
}
