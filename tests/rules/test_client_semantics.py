"""The client rules against every measured cell: each client's verdict on a host, value kind by value kind.

`tests/rules/data/client_semantics.json` holds what the real clients did (issue 23's research matrix and the client
matrix of CLIENTS.md): a setup (the clients installed, certifi or not, an injector), the variables and settings
set, where the server's root is, and the outcome. Each case is built here as the facts layer would record it
(bundles, the default context's sources, a handshake and the offline verdicts of each client's stores, computed
the way OpenSSL looks certificates up) and judged by the rules alone: the rules must give the measured outcome.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from helpers.records import (
    COMPILED_CAFILE,
    COMPILED_CAPATH,
    GRPC_ROOTS,
    PUBLIC_ROOTS,
    SYSTEM_BUNDLE,
    bundle,
    directory,
    distribution,
    facts,
    host,
    missing,
    runtime,
)

from cadoctor._facts.child.openssl_paths import trust_sources
from cadoctor._model import Bundle, Facts, Injector, RootHolder, Setting, StoreVerdict, TrustSource
from cadoctor._record import replace
from cadoctor._rules.clients import host_verdicts, judge, own_stores

DATA = json.loads((Path(__file__).parent / "data" / "client_semantics.json").read_text())
SITE = "/srv/app/venv/lib/python3.11/site-packages"
CERTIFI_FILE = SITE + "/certifi/cacert.pem"
OWN = {
    "botocore": SITE + "/botocore/cacert.pem",
    "httplib2": SITE + "/httplib2/cacerts.txt",
    "grpcio": GRPC_ROOTS,
    "pip": SITE + "/pip/_vendor/certifi/cacert.pem",
}
CWD = "/srv/cwd"
ROOT, OTHER = "server-root", "other-root"
FIXTURES = {  # symbol -> (path, what is there, whether it holds the server's root)
    "@root": ("/fx/root.pem", "file", True),
    "@unrelated": ("/fx/unrelated.pem", "other-file", False),
    "@missing": ("/fx/missing.pem", "missing", False),
    "@missing-dir": ("/fx/missing-dir", "missing", False),
    "@hashed": ("/fx/hashed", "hashed", True),
    "@hashed-unrelated": ("/fx/hashed-unrelated", "hashed", False),
    "@unhashed": ("/fx/unhashed", "unhashed", True),  # the root's file, and no name OpenSSL looks up
    "@emptydir": ("/fx/emptydir", "empty-folder", False),
    "@fifo": ("/fx/fifo", "fifo", False),
    "rel-root.pem": (CWD + "/rel-root.pem", "file", True),
    "rel-hashed": (CWD + "/rel-hashed", "hashed", True),
}
# Cells the rules cannot get from the facts they are given, each with the reason.
BEYOND = {
    ("deb:requests-2.28.1", "@emptydir"): "Debian's python3-urllib3 hard-wires ca_certs to the OS bundle "
    "(connectionpool.py): a folder requests gives it is added to that; the facts do not carry the patch",
    ("deb:google-auth-1.5.1/requests", "@emptydir"): "the same Debian urllib3 patch, under google-auth's requests",
}
OUTCOME_OF_EFFECT = {"raises": "X", "hangs": "H", "aborts": "A", "verification off": "Y"}


def _path(symbol: str) -> str:
    """The path a symbol of the data stands for (lists of folders keep their separator)."""
    parts = symbol.split(":")
    return ":".join(FIXTURES[part][0] if part.startswith("@") else part for part in parts)


def _fixture(path: str, what: str) -> Bundle:
    """The inventory entry the facts layer would record for a fixture."""
    if what == "file":
        return bundle(path, certificates=1, marked=1, identities=frozenset({ROOT}))
    if what == "other-file":
        return bundle(path, certificates=1, marked=1, identities=frozenset({OTHER}))
    if what == "missing":
        return missing(path)
    if what == "hashed":
        return directory(path, hash_links=1)
    if what == "unhashed":
        return directory(path, hash_links=0, unlinked=1)
    if what == "empty-folder":
        return directory(path, hash_links=0)
    return Bundle(path, (), "other", "fifo", error="a fifo, not a regular file")


class Case:
    """One measured cell, built as facts and judged by the rules."""

    def __init__(self, row: list[Any]) -> None:
        """Read a case of the data file."""
        self.setup_name, self.variables, self.settings, self.in_store, self.cwd, self.expected, self.source = row
        self.setup: dict[str, Any] = DATA["setups"][self.setup_name]
        self.cwd_path = FIXTURES[self.cwd][0] if self.cwd else CWD

    def verifies(self, path: str, folders: bool = True, files: bool = True) -> bool:
        """Whether the chain verifies against one CA file or folder, as OpenSSL looks certificates up there.

        A relative path is the working directory's; `folders`/`files` say which of the two a lookup accepts.
        """
        if path and not path.startswith("/"):
            path = "%s/%s" % (self.cwd_path, path)
        if path in (SYSTEM_BUNDLE, COMPILED_CAFILE):
            return bool(self.in_store) and files
        if path == COMPILED_CAPATH:
            return bool(self.in_store) and folders
        found = [f for f in FIXTURES.values() if f[0] == path]
        if not found or not found[0][2] or found[0][1] == "unhashed":
            return False
        return folders if found[0][1] == "hashed" else files

    def facts(self) -> Facts:
        """The facts of this case, as the facts layer records them."""
        variables = {**self.setup.get("env", {}), **self.variables}
        environment = {k: _path(v) for k, v in variables.items()}
        raw = {"cafile_env": "SSL_CERT_FILE", "cafile": COMPILED_CAFILE, "capath_env": "SSL_CERT_DIR"}
        raw["capath"] = COMPILED_CAPATH
        sources = trust_sources({"default_verify_paths_raw": raw, "openssl_version": "OpenSSL 3.0.19"}, environment)
        certifi = {"system": SYSTEM_BUNDLE, None: None}.get(self.setup.get("certifi", True), CERTIFI_FILE)
        identities = PUBLIC_ROOTS | ({ROOT} if self.in_store else frozenset())
        bundles = [
            bundle(COMPILED_CAFILE, "compiled-cafile", identities=identities),
            directory(COMPILED_CAPATH, "compiled-capath"),
            bundle(SYSTEM_BUNDLE, "system", identities=identities),
            bundle(CERTIFI_FILE, "certifi"),
            *(bundle(path, "client") for path in OWN.values()),
            *(_fixture(path, what) for path, what, _ in FIXTURES.values()),
            Bundle("rel-root.pem", (), "other", "relative", error="relative path"),
            Bundle("rel-hashed", (), "other", "relative", error="relative path"),
        ]
        installed = []
        for name, version in self.setup["installed"]:
            own = SYSTEM_BUNDLE if name == "pip" and certifi == SYSTEM_BUNDLE else OWN.get(name)
            installed.append(distribution(name, version, own))
        injectors: tuple[Injector, ...] = ()
        if self.setup.get("injector"):
            injectors = (Injector("pip-system-certs", SITE + "/pip-system-certs.pth", "import pip_system_certs"),)
        settings = []
        for name, value in self.settings.items():
            client, key = {"aws": ("botocore", "ca_bundle"), "pip": ("pip", "cert")}.get(name[:3], ("uv", name[8:]))
            settings.append(Setting(client, key, _path(value) if value.startswith("@") else value, "/srv/conf"))
        cafile = sources["cafile"]
        return facts(
            runtime=runtime(
                python_version=self.setup.get("python", "3.11.7"),
                environment=environment,
                cafile=TrustSource(cafile["path"], cafile["source"]),
                capaths=tuple(TrustSource(c["path"], c["source"]) for c in sources["capaths"]),
                certifi=certifi,
                cwd=self.cwd_path,
            ),
            bundles=tuple(bundles),
            distributions=tuple(installed),
            injectors=injectors,
            settings=tuple(settings),
            mozilla=CERTIFI_FILE,  # Mozilla's set, standing in for roots compiled into uv
        )

    def default_context_verifies(self, examined: Facts) -> bool:
        """Whether Python's default context verifies the chain: its CA file, or a folder (OpenSSL 3: or a file)."""
        sources = examined.runtime
        if sources.cafile is not None and self.verifies(sources.cafile.path or "", folders=False):
            return True
        return any(self.verifies(c.path or "") for c in sources.capaths)

    def predicted(self) -> str:
        """What the rules say the client does: Y, N, X, H, A (or ? when they cannot say)."""
        examined = self.facts()
        clients = judge(examined)
        (client,) = [c for c in clients if c.name == self.setup["client"]]
        effect = client.trust.effect
        if effect in OUTCOME_OF_EFFECT:
            return OUTCOME_OF_EFFECT[effect]
        ok = self.default_context_verifies(examined)
        stores = tuple(StoreVerdict(p, self.verifies(p)) for p in own_stores(clients))
        # a failed handshake names every file or folder on disk that holds the root (the facts' holders)
        holders = () if ok else tuple(RootHolder(p, (), self.verifies(p)) for p, _, held in FIXTURES.values() if held)
        checked = replace(host(None if ok else "host-unknown-ca"), stores=stores, holders=holders)
        (verdict,) = [v for v in host_verdicts(checked, (client,))]
        return {True: "Y", False: "N", None: "?"}[verdict.ok]


CASES = [Case(row) for row in DATA["cases"]]


def test_the_data_covers_every_kind_of_value_and_both_sources() -> None:
    """The cases come from both sources and hold every kind of value the rules distinguish."""
    assert {c.source.split(" ")[0] for c in CASES} == {"r2", "CLIENTS.md"}
    values = {v for c in CASES for v in [*c.variables.values(), *c.settings.values()]}
    assert {"", "@root", "@missing", "@hashed", "@unhashed", "@emptydir", "@fifo", "rel-root.pem"} <= values
    assert Counter(c.expected for c in CASES).keys() == {"Y", "N", "X", "H", "A"}


@pytest.mark.parametrize("setup", sorted({c.setup_name for c in CASES}))
def test_each_measured_cell_is_what_the_rules_predict(setup: str) -> None:
    """For every cell measured with this setup, the rules predict what the real client did."""
    wrong = [
        (c.variables, c.settings, "root in OS store" if c.in_store else "", c.cwd, c.expected, got, c.source)
        for c in CASES
        if c.setup_name == setup and not any((setup, v) in BEYOND for v in c.variables.values())
        for got in [c.predicted()]
        if got != c.expected
    ]
    assert not wrong, "\n".join(map(str, wrong))
