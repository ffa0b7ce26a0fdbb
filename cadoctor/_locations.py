"""Where CA bundles live, per operating system and distribution: the one table of known locations."""

from __future__ import annotations

# (path, who uses it). Files first, then directories; order is preference for fixes on that family.
KNOWN_FILES: tuple[tuple[str, str], ...] = (
    ("/etc/ssl/certs/ca-certificates.crt", "Debian, Ubuntu, Alpine, Arch, Gentoo"),
    ("/etc/pki/tls/certs/ca-bundle.crt", "RHEL, Fedora, CentOS, Amazon Linux"),
    ("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "RHEL, Fedora, CentOS, Amazon Linux (p11-kit extract)"),
    ("/etc/ssl/ca-bundle.pem", "openSUSE, SLES"),
    ("/var/lib/ca-certificates/ca-bundle.pem", "openSUSE, SLES (generated)"),
    ("/etc/ssl/cert.pem", "Alpine, macOS, FreeBSD, OpenBSD, python-build-standalone default"),
    ("/usr/local/share/certs/ca-root-nss.crt", "FreeBSD (ca_root_nss port)"),
    ("/etc/openssl/certs/ca-certificates.crt", "NetBSD"),
    ("/usr/local/etc/openssl/cert.pem", "Homebrew (Intel macOS)"),
    ("/opt/homebrew/etc/openssl@3/cert.pem", "Homebrew (Apple silicon macOS)"),
    ("/opt/homebrew/etc/ca-certificates/cert.pem", "Homebrew ca-certificates formula"),
)
KNOWN_DIRECTORIES: tuple[tuple[str, str], ...] = (
    ("/etc/ssl/certs", "Debian, Ubuntu, Alpine, Arch, SUSE: hashed links"),
    ("/etc/pki/tls/certs", "RHEL, Fedora (not hashed by default)"),
    ("/etc/openssl/certs", "NetBSD"),
)
# Where administrators drop private CAs for the distro tool to merge into the system store.
LOCAL_ANCHORS: tuple[tuple[str, str], ...] = (
    ("/usr/local/share/ca-certificates", "Debian, Ubuntu, Alpine (update-ca-certificates)"),
    ("/etc/pki/ca-trust/source/anchors", "RHEL, Fedora, Amazon Linux (update-ca-trust)"),
    ("/etc/pki/trust/anchors", "openSUSE, SLES (update-ca-certificates)"),
    ("/etc/ca-certificates/trust-source/anchors", "Arch (trust extract-compat)"),
)
# The command that adds a local anchor folder's roots to the OS store, by folder.
ANCHOR_COMMANDS: dict[str, str] = {
    "/usr/local/share/ca-certificates": "update-ca-certificates",
    "/etc/pki/ca-trust/source/anchors": "update-ca-trust",
    "/etc/pki/trust/anchors": "update-ca-certificates",
    "/etc/ca-certificates/trust-source/anchors": "trust extract-compat",
}
# The distro command that installs (or refreshes) the CA package, by os-release ID or ID_LIKE.
CA_PACKAGE_COMMANDS: tuple[tuple[str, str], ...] = (
    ("debian", "apt-get install --reinstall ca-certificates && update-ca-certificates"),
    ("ubuntu", "apt-get install --reinstall ca-certificates && update-ca-certificates"),
    ("alpine", "apk add ca-certificates && update-ca-certificates"),
    ("rhel", "dnf reinstall ca-certificates && update-ca-trust"),
    ("fedora", "dnf reinstall ca-certificates && update-ca-trust"),
    ("amzn", "yum reinstall ca-certificates && update-ca-trust"),
    ("suse", "zypper install -f ca-certificates && update-ca-certificates"),
    ("arch", "pacman -S ca-certificates"),
)
# Prefixes of locations only root should own.
SYSTEM_PREFIXES: tuple[str, ...] = ("/etc/", "/usr/", "/lib", "/opt/", "/System/", "/Library/", "/var/lib/")
