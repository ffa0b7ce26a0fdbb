"""Each client judged by the store its own resolver names; a default store that cannot be loaded stops the client.

The resolver's answer (`Distribution.store`, `store_kind`, `store_decided`) comes from the facts: Debian's pip and
certifi name the OS bundle, Debian's urllib3 hard-wires it, a slimmed image's certifi names a file that is gone, a
zipped certifi a path inside its archive. Recorded facts here; the real clients are in tests/clients and the
corpus.
"""

from __future__ import annotations

from helpers.records import (
    CERTIFI,
    SYSTEM_BUNDLE,
    bundle,
    directory,
    distribution,
    facts,
    holder,
    host,
    local_root,
    missing,
    runtime,
    with_bundles,
    with_clients,
    with_environment,
)

from cadoctor._model import Bundle, Client, Distribution, Facts, Injector, Severity
from cadoctor._record import replace
from cadoctor._rules import trust
from cadoctor._rules.ca_values import env_path_invalid
from cadoctor._rules.clients import (
    client_findings,
    host_verdicts,
    injector_findings,
    judge,
    refuses_addresses,
    silenced_hosts,
)

SITE = "/srv/app/venv/lib/python3.12/site-packages"
PIP_CERTIFI = SITE + "/pip/_vendor/certifi/cacert.pem"
DEBIAN_WHERE = "pip/_vendor/certifi/core.py where() returns DEBIAN_CA_CERTS_PATH: '%s'" % SYSTEM_BUNDLE
LOCAL = frozenset({"corp-root"})


def judged(examined: Facts, name: str) -> Client:
    """The judged client of that name."""
    return next(c for c in judge(examined) if c.name == name)


def resolved(name: str, version: str, store: str | None, kind: str = "file", own: str | None = None) -> Distribution:
    """A distribution whose own resolver was read: the store it names, and how."""
    decided = "%s: %r" % (name, store) if store else "no CA file, so the ssl module's default verify paths"
    return replace(distribution(name, version, own), store=store, store_kind=kind, store_decided=decided)


def with_local_root(examined: Facts) -> Facts:
    """The facts with an administrator's root in the OS bundle (and so in no copy of Mozilla's set)."""
    system = bundle(SYSTEM_BUNDLE, "system", identities=frozenset({"public-root-1"}) | LOCAL)
    return replace(with_bundles(examined, system), local_roots=(local_root("CN=Corp Root", "corp-root"),))


def test_a_pip_whose_where_names_the_os_bundle_trusts_it() -> None:
    """Debian's pip (python3-pip-whl in a venv) is judged by the OS bundle its patched where() names, not its file."""
    pip = resolved("pip", "23.0.1", SYSTEM_BUNDLE, own=PIP_CERTIFI)
    pip = replace(pip, store_decided=DEBIAN_WHERE)
    examined = with_local_root(with_bundles(facts(distributions=(pip,)), bundle(PIP_CERTIFI, "client:pip")))
    client = judged(examined, "pip")
    assert (client.trust.kind, client.trust.path, client.verdict) == ("own-bundle", SYSTEM_BUNDLE, "ok")
    assert client.trust.decided == "pip: " + DEBIAN_WHERE
    assert [f for f in client_findings(examined) if f.code == "client-lacks-local-roots"] == []


def test_the_same_pip_judged_by_the_model_lacks_the_local_root() -> None:
    """Without its resolver's answer, the rules table's model (the file it ships) decides, as before."""
    pip = distribution("pip", "23.0.1", PIP_CERTIFI)
    examined = with_local_root(with_bundles(facts(distributions=(pip,)), bundle(PIP_CERTIFI, "client:pip")))
    assert judged(examined, "pip").trust.path == PIP_CERTIFI
    assert judged(examined, "pip").trust.decided is None
    assert [f.code for f in client_findings(examined)] == ["client-lacks-local-roots"]


def test_requests_and_its_transports_trust_what_requests_where_names() -> None:
    """Debian's requests: where() is certifi's, which names the OS bundle; azure-core and google-auth follow it."""
    base = with_clients(("azure-core", "1.41.0"), ("google-auth", "2.63.0"))
    requests = resolved("requests", "2.28.1", SYSTEM_BUNDLE)
    examined = replace(
        base,
        runtime=replace(base.runtime, certifi=SYSTEM_BUNDLE),
        distributions=(*base.distributions, requests),
    )
    for name in ("requests", "azure-core", "google-auth"):
        trusted = judged(examined, name).trust
        assert (trusted.kind, trusted.path) == ("certifi", SYSTEM_BUNDLE), name
        assert str(trusted.decided).startswith("requests: "), name


def test_a_urllib3_that_hard_wires_a_bundle_reads_no_ssl_variable() -> None:
    """Debian's urllib3 passes ca_certs itself: SSL_CERT_FILE does not reach it, and it says so when it is set."""
    urllib3 = resolved("urllib3", "1.26.12", SYSTEM_BUNDLE)
    examined = with_environment(facts(distributions=(urllib3,)), SSL_CERT_FILE="/srv/corp.pem")
    examined = with_bundles(examined, bundle("/srv/corp.pem", certificates=1, identities=LOCAL))
    client = judged(examined, "urllib3")
    assert (client.trust.kind, client.trust.path, client.variables) == ("own-bundle", SYSTEM_BUNDLE, ())
    ignored = [f for f in client_findings(examined) if f.code == "client-variable-ignored"]
    assert [f.evidence["clients"] for f in ignored] == [["urllib3"]]


def test_an_upstream_urllib3_stays_on_the_default_paths() -> None:
    """A resolver that names no file leaves urllib3 on OpenSSL's default paths, with how that was decided."""
    urllib3 = resolved("urllib3", "2.8.0", None, kind="openssl-defaults")
    client = judged(facts(distributions=(urllib3,)), "urllib3")
    assert (client.trust.kind, client.variables) == ("openssl-defaults", ("SSL_CERT_FILE", "SSL_CERT_DIR"))
    assert client.trust.decided == "urllib3: no CA file, so the ssl module's default verify paths"


def test_google_auths_urllib3_transport_without_a_ca_file_uses_the_defaults() -> None:
    """google-auth's _make_default_http read as naming no file (no certifi): its urllib3 transport is the defaults'."""
    auth = resolved("google-auth", "2.63.0", None, kind="openssl-defaults")
    examined = facts(runtime=runtime(certifi=CERTIFI), distributions=(auth,))
    assert judged(examined, "google-auth/urllib3").trust.kind == "openssl-defaults"
    assert judged(examined, "google-auth").trust.kind == "certifi"  # its requests transport: requests' where()


def missing_store(examined: Facts, store: Bundle) -> Facts:
    """The facts with certifi's where() naming `store`, requests and botocore installed."""
    clients = (resolved("requests", "2.32.3", store.path), resolved("botocore", "1.44.8", store.path))
    return replace(
        with_bundles(examined, store), runtime=replace(examined.runtime, certifi=store.path), distributions=clients
    )


def test_a_deleted_certifi_bundle_stops_every_client_that_trusts_it() -> None:
    """certifi's cacert.pem gone (a slimmed image): requests and botocore raise; client-store-missing says so."""
    examined = missing_store(facts(), missing(CERTIFI, "certifi"))
    requests = judged(examined, "requests")
    assert (requests.trust.effect, requests.trust.source) == ("raises", "default")
    assert requests.verdict == "raises on its store %s, which does not exist" % CERTIFI
    (finding,) = [f for f in client_findings(examined) if f.code == "client-store-missing"]
    assert finding.severity == Severity.ERROR
    assert finding.summary.startswith("requests, botocore: the default store %s does not exist; each raises" % CERTIFI)
    assert finding.evidence["store"] == CERTIFI
    assert finding.evidence["problem"] == "does not exist"
    assert finding.evidence["decided"] == "requests: requests: %r" % CERTIFI
    assert [c["name"] for c in finding.evidence["clients"]] == ["requests", "botocore"]


def test_a_client_whose_store_is_gone_fails_every_host_and_is_named_first() -> None:
    """The host check puts the client among those that fail it; client-store-missing comes before client-host-fails."""
    examined = replace(missing_store(facts(), missing(CERTIFI, "certifi")), hosts=(host(None),))
    verdicts = {v.name: v for v in host_verdicts(examined.hosts[0], judge(examined))}
    assert verdicts["requests"].ok is False
    codes = [f.code for f in client_findings(examined)]
    assert codes.index("client-store-missing") < codes.index("client-host-fails")


def test_a_store_inside_a_zip_archive_is_named_as_such() -> None:
    """A zipped certifi's where() names a path inside its archive: OpenSSL opens real files only."""
    inside = "/srv/app/deps.zip/certifi/cacert.pem"
    unreadable = Bundle(inside, ("certifi",), "other", "unreadable", error="Not a directory")
    (finding,) = [f for f in client_findings(missing_store(facts(), unreadable)) if f.code == "client-store-missing"]
    assert finding.evidence["problem"] == "is inside the archive /srv/app/deps.zip (OpenSSL opens real files only)"


def test_requests_before_2_33_copies_a_zipped_store_out_and_later_ones_raise() -> None:
    """requests 2.32 copies a zipped default bundle out; requests 2.33 and botocore give OpenSSL its path."""
    inside = "/srv/app/deps.zip/certifi/cacert.pem"
    unreadable = Bundle(inside, ("certifi",), "other", "unreadable", error="Not a directory")
    old = missing_store(facts(), unreadable)
    requests = judged(old, "requests")
    assert (requests.trust.effect, requests.verdict) == (None, "ok")
    assert any("copies it out" in note for note in requests.notes)
    (finding,) = [f for f in client_findings(old) if f.code == "client-store-missing"]
    assert [c["name"] for c in finding.evidence["clients"]] == ["botocore"]
    new = replace(old, distributions=(resolved("requests", "2.33.0", inside), resolved("pip", "25.1", inside)))
    assert judged(new, "requests").trust.effect == "raises"
    assert judged(new, "pip").trust.effect is None  # pip vendors requests 2.32


def test_before_3_11_certifis_where_raises_at_import_and_no_variable_saves_requests() -> None:
    """certifi's importlib.resources where() raises for its missing file before 3.11: requests fails at import."""
    where = "requests: certifi/core.py where() returns _CACERT_PATH: %r" % CERTIFI
    clients = tuple(
        replace(resolved(name, version, CERTIFI), store_decided=where)
        for name, version in (("requests", "2.32.5"), ("botocore", "1.42.97"))
    )
    examined = with_bundles(facts(distributions=clients), missing(CERTIFI, "certifi"))
    old = with_environment(replace(examined, runtime=replace(examined.runtime, python_version="3.9.18")))
    saved = with_environment(old, REQUESTS_CA_BUNDLE=SYSTEM_BUNDLE, AWS_CA_BUNDLE=SYSTEM_BUNDLE)
    assert judged(saved, "requests").trust.effect == "raises"
    assert judged(saved, "botocore").trust.effect is None  # it calls where() only when no file is given
    (finding,) = [f for f in client_findings(old) if f.code == "client-store-missing"]
    assert {c["name"]: c["at_import"] for c in finding.evidence["clients"]} == {"requests": True, "botocore": False}
    assert "fails when it is imported, whatever CA variable is set" in finding.summary
    new = replace(saved, runtime=replace(saved.runtime, python_version="3.11.7"))
    assert judged(new, "requests").trust.effect is None


def test_a_fifo_as_the_store_hangs_the_client_and_an_empty_file_raises() -> None:
    """Whatever the resolver names is read as OpenSSL would: a FIFO blocks the request, an empty file raises."""
    fifo = Bundle(CERTIFI, ("certifi",), "other", "fifo", error="a fifo, not a regular file")
    assert judged(missing_store(facts(), fifo), "requests").trust.effect == "hangs"
    empty = bundle(CERTIFI, "certifi", size=0, certificates=0, marked=0)
    assert judged(missing_store(facts(), empty), "requests").trust.effect == "raises"


def test_a_store_not_looked_at_is_not_judged() -> None:
    """No inventory entry for the store (a light look): nothing is claimed about it."""
    examined = missing_store(facts(), missing(CERTIFI, "certifi"))
    unseen = replace(examined, bundles=tuple(b for b in examined.bundles if b.path != CERTIFI))
    assert judged(unseen, "requests").trust.effect is None
    assert [f for f in client_findings(unseen) if f.code == "client-store-missing"] == []


def test_a_variable_that_replaces_the_missing_store_saves_the_client() -> None:
    """REQUESTS_CA_BUNDLE set to the OS bundle: requests never opens certifi's file, botocore neither."""
    examined = with_environment(missing_store(facts(), missing(CERTIFI, "certifi")), REQUESTS_CA_BUNDLE=SYSTEM_BUNDLE)
    assert judged(examined, "requests").trust.effect is None
    assert judged(examined, "botocore").trust.effect is None
    assert [f for f in client_findings(examined) if f.code == "client-store-missing"] == []


# What each consumer does with a folder in a file variable


def test_a_hashed_folder_in_requests_ca_bundle_is_an_error_only_for_botocore() -> None:
    """requests loads /etc/ssl/certs as a CA folder, botocore raises: the wording says each, botocore sets severity."""
    folder = directory("/etc/ssl/certs", "system")
    both = with_bundles(
        with_environment(with_clients(("requests", "2.32.3"), ("botocore", "1.44.8")), REQUESTS_CA_BUNDLE=folder.path),
        folder,
    )
    (finding,) = list(env_path_invalid(both))
    assert finding.severity == Severity.ERROR
    assert finding.summary.startswith("REQUESTS_CA_BUNDLE=/etc/ssl/certs is a hashed folder; here: botocore raises")
    assert finding.summary.endswith("; requests loads it")
    assert "not a file" not in finding.summary
    alone = with_bundles(with_environment(with_clients(("requests", "2.32.3")), REQUESTS_CA_BUNDLE=folder.path), folder)
    (quiet,) = list(env_path_invalid(alone))
    assert (quiet.severity, quiet.summary) == (
        Severity.INFO,
        "REQUESTS_CA_BUNDLE=/etc/ssl/certs is a hashed folder; here: requests loads it",
    )


def test_an_unhashed_folder_in_requests_ca_bundle_is_capath_unhashed_first() -> None:
    """requests takes the folder as ca_cert_dir and finds nothing there: the links come first, then botocore's error."""
    folder = directory("/srv/corp-certs", hash_links=0, unlinked=1)
    examined = with_bundles(
        with_environment(with_clients(("requests", "2.32.3"), ("botocore", "1.44.8")), REQUESTS_CA_BUNDLE=folder.path),
        folder,
    )
    unhashed, invalid = list(env_path_invalid(examined))
    assert (unhashed.code, unhashed.severity) == ("capath-unhashed", Severity.ERROR)
    assert unhashed.evidence == {
        "path": "/srv/corp-certs",
        "unlinked": 1,
        "hash_links": 0,
        "variable": "REQUESTS_CA_BUNDLE",
        "clients": ["requests"],
    }
    assert "it is the whole store of requests" in unhashed.summary
    assert invalid.code == "env-path-invalid"
    assert invalid.summary.startswith("REQUESTS_CA_BUNDLE=/srv/corp-certs is a folder without hash links; here:")
    codes = [f.code for f in trust.diagnose(examined)]
    assert codes.index("capath-unhashed") < codes.index("env-path-invalid")


def test_a_folder_a_client_reads_file_by_file_needs_no_links() -> None:
    """uv reads every file of SSL_CERT_DIR: no capath-unhashed from its value (Python's own folders: another rule)."""
    folder = directory("/srv/corp-certs", hash_links=0, unlinked=1)
    examined = with_bundles(with_environment(with_clients(("uv", "0.13.9")), SSL_CERT_DIR=folder.path), folder)
    assert [f for f in env_path_invalid(examined) if f.code == "capath-unhashed"] == []


# pip-system-certs before 5


def clearing(*clients: tuple[str, str], version: str = "4.0", **variables: str) -> Facts:
    """Healthy facts with pip-system-certs `version` injecting, these clients, and these variables."""
    pth = SITE + "/pip_system_certs.pth"
    examined = with_clients(*clients, ("pip-system-certs", version))
    examined = replace(examined, injectors=(Injector("pip-system-certs", pth, "import pip_system_certs"),))
    return with_environment(examined, **variables)


def test_pip_system_certs_4_clears_the_values_requests_reads() -> None:
    """REQUESTS_CA_BUNDLE is read (a missing one still raises), then ignored: requests reads only OpenSSL's paths."""
    private = bundle("/srv/corp.pem", certificates=1, identities=LOCAL)
    examined = with_bundles(clearing(("requests", "2.32.3"), REQUESTS_CA_BUNDLE=private.path), private)
    requests = judged(examined, "requests")
    assert requests.variables == ("SSL_CERT_FILE", "SSL_CERT_DIR")
    assert requests.effects["REQUESTS_CA_BUNDLE"].startswith("ignores it (pip-system-certs before 5")
    (finding,) = list(injector_findings(examined))
    assert finding.severity == Severity.WARNING
    assert "requests ignores REQUESTS_CA_BUNDLE=/srv/corp.pem" in finding.summary
    assert finding.evidence["ignored"] == {"REQUESTS_CA_BUNDLE": "/srv/corp.pem"}
    gone = with_bundles(clearing(("requests", "2.32.3"), REQUESTS_CA_BUNDLE="/srv/gone"), missing("/srv/gone"))
    assert judged(gone, "requests").trust.effect == "raises"


def test_a_host_whose_root_is_in_the_cleared_file_makes_it_the_first_cause() -> None:
    """The file requests was told to load verifies the chain, and requests fails: client-injector is the first error."""
    private = bundle("/srv/corp.pem", certificates=1, identities=LOCAL)
    examined = with_bundles(clearing(("requests", "2.32.3"), REQUESTS_CA_BUNDLE=private.path), private)
    examined = replace(examined, hosts=(host(holders=(holder(private.path),)),))
    first = trust.diagnose(examined)[0]
    assert (first.code, first.severity) == ("client-injector", Severity.ERROR)
    assert first.evidence["hosts"] == ["app.example.test"]
    assert "app.example.test in requests fails although that file holds its root" in first.summary


def test_a_host_named_by_address_is_refused_by_pip_whatever_it_trusts() -> None:
    """Under pip-system-certs 4, pip (urllib3 1.26) refuses an IP-address host: only requests is a store's to mend."""
    private = bundle("/srv/corp.pem", certificates=1, identities=LOCAL)
    examined = clearing(
        ("requests", "2.32.3"), ("pip", "23.2.1"), ("urllib3", "2.2.1"), REQUESTS_CA_BUNDLE=private.path
    )
    examined = with_bundles(examined, private)
    address = host(target="127.0.0.1:8443", host="127.0.0.1", server_name="127.0.0.1", holders=(holder(private.path),))
    examined = replace(examined, hosts=(address,))
    assert [c.name for c in refusing(examined)] == ["pip"]
    (finding,) = list(injector_findings(examined))
    assert finding.evidence["refuse_addresses"] == ["pip"]
    assert "check_hostname requires server_hostname" in finding.summary
    [(mended, hurt)] = silenced_hosts(examined, judge(examined))
    assert (mended.target, [c.name for c in hurt]) == ("127.0.0.1:8443", ["requests"])
    named = replace(examined, hosts=(host(holders=(holder(private.path),)),))
    assert sorted(c.name for _, hurt in silenced_hosts(named, judge(named)) for c in hurt) == ["pip", "requests"]
    old = clearing(("requests", "2.28.1"), ("urllib3", "1.26.18"), REQUESTS_CA_BUNDLE=private.path)
    assert [c.name for c in refusing(with_bundles(old, private))] == ["requests"]


def refusing(examined: Facts) -> list[Client]:
    """The judged clients that refuse every host named by an IP address."""
    return [c for c in judge(examined) if refuses_addresses(c, examined)]


def test_pip_system_certs_5_adds_and_is_info() -> None:
    """5 and later inject truststore, which adds what a client loads: nothing is cleared, the finding is info."""
    private = bundle("/srv/corp.pem", certificates=1, identities=LOCAL)
    examined = with_bundles(clearing(("requests", "2.32.3"), version="5.3", REQUESTS_CA_BUNDLE=private.path), private)
    assert judged(examined, "requests").effects["REQUESTS_CA_BUNDLE"] == "loads"
    assert [(f.code, f.severity) for f in injector_findings(examined)] == [("client-injector", Severity.INFO)]


def test_no_finding_is_made_without_the_clients() -> None:
    """No client installed, no injector: neither finding is made."""
    assert [f for f in client_findings(facts()) if f.code == "client-store-missing"] == []
    assert list(injector_findings(facts())) == []
