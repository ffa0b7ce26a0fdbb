"""The one environment every child of the suite starts from: built from nothing, never os.environ minus a list.

This host exports SSL_CERT_FILE, REQUESTS_CA_BUNDLE and friends, and has an /etc/pip.conf naming a CA file; a
child that inherited them would test this host's settings, not the test's. Only what is named below reaches a
child, plus what its caller adds. Standard library only: `benchmarks/bench.py` loads this file by its path.
"""

from __future__ import annotations

import os

PATH = "/usr/bin:/bin"
# Set, not inherited: the configuration files that could point pip or botocore at a CA are none at all.
CONFIG_FILES_OFF = {
    "PIP_CONFIG_FILE": os.devnull,  # pip reads no configuration file (this host's /etc/pip.conf has `cert =`)
    "AWS_CONFIG_FILE": os.devnull,  # no ca_bundle from ~/.aws/config
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
}
# What reaches the package index as this user reaches it: their CA, proxy and cache settings, named one by one.
INDEX_SETTINGS = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
)
OUTSIDE_THE_VENV = ("PIP_USER", "PIP_TARGET", "PIP_PREFIX", "PIP_ROOT")  # they would install outside a private venv


def child_env(**extra: str) -> dict[str, str]:
    """A child's environment: PATH, LANG and HOME, no CA variable, no pip or AWS configuration file; then `extra`.

    With the test session's own folder for the fix trials cadoctor keeps (`CADOCTOR_CACHE`, set by conftest), so
    that no test reads an answer kept by another run, or leaves one in the user's home.
    """
    env = {"PATH": PATH, "LANG": "C.UTF-8", "HOME": os.path.expanduser("~"), **CONFIG_FILES_OFF}
    if os.environ.get("CADOCTOR_CACHE"):
        env["CADOCTOR_CACHE"] = os.environ["CADOCTOR_CACHE"]
    env.update(extra)
    return env


def index_env(**extra: str) -> dict[str, str]:
    """The environment pip builds artefacts in: `child_env` plus this user's pip, proxy and CA settings.

    The only child that carries the user's settings, and only those named: pip must reach the index (or its
    mirror, through a proxy that may intercept TLS) as the user does, and read their pip configuration for it.
    """
    env = child_env()
    del env["PIP_CONFIG_FILE"]  # the user's pip.conf may name the index and the CA that reaches it
    for key, value in os.environ.items():
        kept = key in INDEX_SETTINGS or key.lower().endswith("_proxy") or key.startswith("PIP_")
        if kept and key not in OUTSIDE_THE_VENV:
            env[key] = value
    env.update(PIP_NO_INPUT="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    env.update(extra)
    return env
