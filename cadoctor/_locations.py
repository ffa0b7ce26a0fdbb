"""Where CA bundles live, per operating system and distribution: the one table of known locations."""

from __future__ import annotations

from cadoctor._record import record

# (path, who uses it). Files first, then directories; order is preference for fixes on that family.
KNOWN_FILES: tuple[tuple[str, str], ...] = (
    ("/etc/ssl/certs/ca-certificates.crt", "Debian, Ubuntu, Alpine, Arch, Gentoo"),
    ("/etc/pki/tls/certs/ca-bundle.crt", "RHEL, Fedora, CentOS, Amazon Linux"),
    ("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", "RHEL, Fedora, CentOS, Amazon Linux (p11-kit extract)"),
    ("/etc/ssl/certs/ca-bundle.crt", "RHEL, Fedora, CentOS, Amazon Linux (/etc/ssl/certs links there)"),
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


@record
class StoreTool:
    """A distribution's tool that builds the OS store from anchor files, and its rules, as read from its source.

    Attributes:
        name: The row's key (`debian`, `alpine`, `rhel`, `suse`, `arch`).
        command: What rebuilds the store; `programs`: where the tool is installed, and `marker`, bytes its
            program holds that tell this variant from another tool of the same name.
        distributions: os-release IDs whose store this tool builds (when its program is not installed).
        anchors: The folders it takes roots from. `recursive`: sub-folders too; `suffix`: only names ending so
            (None: any name); `hidden`: names starting with a dot too.
        loose: Folders whose files it reads but takes as roots only with trust flags (p11-kit's source folders:
            `BEGIN TRUSTED CERTIFICATE`, `.p11-kit`), and `blocklists` those whose certificates it takes out.
        converts: It reads DER and every certificate of a PEM file as certificates (p11-kit). Without it (Debian,
            Alpine) it copies each file's bytes into the bundle and links it for `openssl rehash`, which hashes
            only a file holding exactly one PEM certificate: OpenSSL reads nothing of a DER file there.
        ca_only: Only certificates that are CAs reach the TLS bundle (p11-kit's `--filter=ca-anchors`).
        bundle: The file it builds; `hashed`: the folder of `<hash>.<n>` links it builds, if any.
        selection, selected: Debian's configuration file, and the folder its lines are relative to.
        package: The distribution's command that installs the tool (and the CA package).
        source: Where these rules were read.

    """

    name: str
    command: str
    programs: tuple[str, ...]
    marker: bytes
    distributions: tuple[str, ...]
    anchors: tuple[str, ...]
    recursive: bool
    suffix: str | None
    hidden: bool
    converts: bool
    ca_only: bool
    bundle: str
    hashed: str | None
    package: str
    source: str
    loose: tuple[str, ...] = ()
    blocklists: tuple[str, ...] = ()
    selection: str | None = None
    selected: str | None = None


# Each distribution's store tool, by its own rules. Which one applies to a subject is decided by its own files:
# the tool's program inside its root (its marker tells Debian's script from Alpine's C program and SUSE's), else
# os-release. Proven against the real tools by tests/facts/certs (Debian's script, p11-kit's `trust extract`).
STORE_TOOLS: tuple[StoreTool, ...] = (
    StoreTool(
        name="debian",  # Debian, Ubuntu: `find -L "$LOCALCERTSDIR" -type f -name '*.crt'`, then `openssl rehash`
        command="update-ca-certificates",
        programs=("/usr/sbin/update-ca-certificates", "/usr/bin/update-ca-certificates"),
        marker=b'find -L "$LOCALCERTSDIR"',
        distributions=("debian", "ubuntu"),
        anchors=("/usr/local/share/ca-certificates",),
        recursive=True,
        suffix=".crt",
        hidden=True,
        converts=False,
        ca_only=False,
        bundle="/etc/ssl/certs/ca-certificates.crt",
        hashed="/etc/ssl/certs",
        package="apt-get install ca-certificates",
        source="/usr/sbin/update-ca-certificates (ca-certificates 20230311+deb12u1)",
        selection="/etc/ca-certificates.conf",
        selected="/usr/share/ca-certificates",
    ),
    StoreTool(
        name="alpine",  # Alpine's C program: readdir() of the folder, no sub-folders, no dot names, any suffix
        command="update-ca-certificates",
        programs=("/usr/sbin/update-ca-certificates", "/usr/bin/update-ca-certificates"),
        marker=b"ca-cert-",
        distributions=("alpine",),
        anchors=("/usr/local/share/ca-certificates",),
        recursive=False,
        suffix=None,
        hidden=False,
        converts=False,
        ca_only=False,
        bundle="/etc/ssl/certs/ca-certificates.crt",
        hashed="/etc/ssl/certs",
        package="apk add ca-certificates",
        source="update-ca.c of alpinelinux/ca-certificates (898ab81)",
    ),
    StoreTool(
        name="rhel",  # RHEL, Fedora, CentOS, Amazon Linux: update-ca-trust runs p11-kit's `trust extract`
        command="update-ca-trust extract",
        programs=("/usr/bin/update-ca-trust", "/usr/sbin/update-ca-trust", "/bin/update-ca-trust"),
        marker=b"/etc/pki/ca-trust/extracted",
        distributions=("rhel", "fedora", "centos", "amzn", "rocky", "almalinux", "ol"),
        anchors=("/etc/pki/ca-trust/source/anchors", "/usr/share/pki/ca-trust-source/anchors"),
        recursive=False,
        suffix=None,
        hidden=True,
        converts=True,
        ca_only=True,
        bundle="/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",
        hashed=None,
        package="dnf install ca-certificates",
        source="update-ca-trust (Fedora) and p11-kit's trust/token.c, trust/parser.c, trust/enumerate.c",
        loose=("/etc/pki/ca-trust/source", "/usr/share/pki/ca-trust-source"),
        blocklists=(
            "/etc/pki/ca-trust/source/blocklist",
            "/etc/pki/ca-trust/source/blacklist",
            "/usr/share/pki/ca-trust-source/blocklist",
            "/usr/share/pki/ca-trust-source/blacklist",
        ),
    ),
    StoreTool(
        name="suse",  # openSUSE, SLES: update-ca-certificates runs hooks that call p11-kit's `trust extract`
        command="update-ca-certificates",
        programs=("/usr/sbin/update-ca-certificates", "/usr/bin/update-ca-certificates"),
        marker=b"/usr/lib/ca-certificates/update.d",
        distributions=("opensuse", "suse", "sles", "opensuse-leap", "opensuse-tumbleweed"),
        anchors=("/etc/pki/trust/anchors", "/usr/share/pki/trust/anchors"),
        recursive=False,
        suffix=None,
        hidden=True,
        converts=True,
        ca_only=True,
        bundle="/var/lib/ca-certificates/ca-bundle.pem",
        hashed=None,
        package="zypper install ca-certificates",
        source="update-ca-certificates, certbundle.run, etc_ssl.run of openSUSE/ca-certificates; p11-kit",
        loose=("/etc/pki/trust", "/usr/share/pki/trust"),
        blocklists=("/etc/pki/trust/blacklist", "/etc/pki/trust/blocklist", "/usr/share/pki/trust/blacklist"),
    ),
    StoreTool(
        name="arch",  # Arch: update-ca-trust on p11-kit, its own paths
        command="update-ca-trust",
        programs=("/usr/bin/update-ca-trust",),
        marker=b"/etc/ca-certificates/extracted",
        distributions=("arch", "manjaro", "endeavouros"),
        anchors=("/etc/ca-certificates/trust-source/anchors", "/usr/share/ca-certificates/trust-source/anchors"),
        recursive=False,
        suffix=None,
        hidden=True,
        converts=True,
        ca_only=True,
        bundle="/etc/ca-certificates/extracted/tls-ca-bundle.pem",
        hashed=None,
        package="pacman -S ca-certificates",
        source="Arch's update-ca-trust on p11-kit (same token and parser rules)",
        loose=("/etc/ca-certificates/trust-source", "/usr/share/ca-certificates/trust-source"),
        blocklists=("/etc/ca-certificates/trust-source/blocklist", "/etc/ca-certificates/trust-source/blacklist"),
    ),
)
# Where administrators drop private CAs for the distro tool to merge into the system store (each tool's first).
LOCAL_ANCHORS: tuple[tuple[str, str], ...] = (
    ("/usr/local/share/ca-certificates", "Debian, Ubuntu, Alpine (update-ca-certificates)"),
    ("/etc/pki/ca-trust/source/anchors", "RHEL, Fedora, Amazon Linux (update-ca-trust)"),
    ("/etc/pki/trust/anchors", "openSUSE, SLES (update-ca-certificates)"),
    ("/etc/ca-certificates/trust-source/anchors", "Arch (update-ca-trust)"),
)
# The command that adds a local anchor folder's roots to the OS store, by folder: the table's.
ANCHOR_COMMANDS: dict[str, str] = {
    folder: tool.command for tool in reversed(STORE_TOOLS) for folder in (*tool.anchors, *tool.loose)
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
# The same, written for an image's build (a Dockerfile `RUN`, or run in its root): non-interactive, with the package
# lists an image rarely keeps, installing the package where the image never had it and reinstalling it where its
# store was deleted (the package's own install script builds the store: a plain install of an installed package
# would change nothing).
CA_PACKAGE_INSTALLS: tuple[tuple[str, str], ...] = (
    ("debian", "apt-get update && apt-get install -y --reinstall --no-install-recommends ca-certificates"),
    ("ubuntu", "apt-get update && apt-get install -y --reinstall --no-install-recommends ca-certificates"),
    ("alpine", "apk add --no-cache ca-certificates"),
    ("rhel", "dnf install -y ca-certificates"),
    ("fedora", "dnf install -y ca-certificates"),
    ("amzn", "yum install -y ca-certificates"),
    ("suse", "zypper --non-interactive install ca-certificates"),
    ("arch", "pacman -S --noconfirm ca-certificates"),
)
# Prefixes of locations only root should own.
SYSTEM_PREFIXES: tuple[str, ...] = ("/etc/", "/usr/", "/lib", "/opt/", "/System/", "/Library/", "/var/lib/")
