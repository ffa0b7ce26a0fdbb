"""Fixes chosen from evidence: each failing client pointed at a store proven to verify the host, by its own setting."""

from __future__ import annotations

import ssl
from pathlib import Path

from helpers import os_store
from helpers.records import (
    CERTIFI,
    PRIVATE,
    PUBLIC_ROOTS,
    SYSTEM_BUNDLE,
    bundle,
    directory,
    facts,
    holder,
    host,
    missing,
    with_bundles,
    with_clients,
    with_environment,
)

from cadoctor._fixes.hosts import host_fixes
from cadoctor._fixes.proven import proven_stores
from cadoctor._model import Facts, Fix, HostCheck, Setting, StoreVerdict, Subject
from cadoctor._record import replace

ROOT = "CN=Example Private Root"
CORP = frozenset({"corp-root"})
OWN_FOLDER = "/srv/app/corp-certs"


def accepted(*holders: tuple[str, tuple[str, ...]], refused: tuple[str, ...] = (CERTIFI,)) -> HostCheck:
    """A host the default context verified, whose private root these stores hold; `refused` stores fail its chain."""
    return host(
        None,
        holders=tuple(holder(path, *roles) for path, roles in holders),
        stores=tuple(StoreVerdict(path, False, "unable to get local issuer certificate") for path in refused),
        public_root=False,
    )


def fixes(examined: Facts, checked: HostCheck) -> list[Fix]:
    """The host's fixes on these facts."""
    return host_fixes(replace(examined, hosts=(checked,)), ())


def env_fix(examined: Facts, checked: HostCheck) -> Fix:
    """The first environment fix for the host."""
    return next(fix for fix in fixes(examined, checked) if fix.kind == "env")


def in_cafile(examined: Facts) -> Facts:
    """The facts with SSL_CERT_FILE naming the private CA's own file, which holds only its root."""
    examined = with_environment(examined, SSL_CERT_FILE=PRIVATE)
    return with_bundles(
        examined, bundle(PRIVATE, "in-effect:cafile", "env:SSL_CERT_FILE", certificates=1, identities=CORP)
    )


def test_a_root_only_in_the_file_ssl_cert_file_names_is_joined_with_the_public_roots_for_requests() -> None:
    """requests fails a host the default context verified through SSL_CERT_FILE: a join of that file, no truststore."""
    examined = in_cafile(with_clients(("requests", "2.32.3")))
    checked = accepted((PRIVATE, ("in-effect:cafile", "env:SSL_CERT_FILE")))
    found = fixes(examined, checked)
    assert [fix.kind for fix in found] == ["env"]  # the OS store lacks the root: truststore would not reach it
    (fix,) = found
    joined = "/srv/app/private-ca+public-roots.pem"
    assert (fix.env, fix.merge, fix.clients, fix.trial_host) == (
        {"REQUESTS_CA_BUNDLE": joined},
        (SYSTEM_BUNDLE, PRIVATE),
        ("requests",),
        checked,
    )
    assert fix.addresses == ("client-host-fails",)
    assert fix.lines["shell"].splitlines()[0] == "(cat '%s'; echo; cat '%s') > '%s'" % (SYSTEM_BUNDLE, PRIVATE, joined)
    assert fix.summary.startswith(
        "For requests: join %s and %s in %s and point REQUESTS_CA_BUNDLE at it" % (SYSTEM_BUNDLE, PRIVATE, joined)
    )
    assert "(%s verified the chain of app.example.test)" % PRIVATE in fix.summary


def test_a_root_in_the_os_store_points_at_its_bundle_and_offers_truststore() -> None:
    """The OS bundle verified the chain: it is named as it is, and truststore (which reads it) is offered too."""
    examined = with_bundles(
        with_clients(("requests", "2.32.3")), bundle(SYSTEM_BUNDLE, "system", identities=PUBLIC_ROOTS | CORP)
    )
    checked = accepted((SYSTEM_BUNDLE, ("system",)), ("/etc/ssl/certs", ("in-effect:capath", "system")))
    env, code = fixes(examined, checked)
    assert (env.env, env.merge, env.clients) == ({"REQUESTS_CA_BUNDLE": SYSTEM_BUNDLE}, (), ("requests",))
    assert "which holds %s and the public roots (the OS store verified" % ROOT in env.summary
    assert (code.inject, code.clients, code.trial_host) == ("truststore", ("requests",), checked)


def test_a_root_only_in_a_hashed_folder_joins_the_files_its_links_name(tmp_path: Path) -> None:
    """SSL_CERT_DIR's folder verified the chain: its files for the root's subject hash join the public roots."""
    from helpers.pki import make_ca

    ca = make_ca(tmp_path, ROOT.removeprefix("CN="))
    leaf = ssl.PEM_cert_to_DER_cert(ca.cert.read_text())
    examined = with_environment(with_clients(("requests", "2.32.3")), SSL_CERT_DIR=OWN_FOLDER)
    examined = with_bundles(examined, directory(OWN_FOLDER, "in-effect:capath", "env:SSL_CERT_DIR", hash_links=1))
    checked = accepted((OWN_FOLDER, ("in-effect:capath", "env:SSL_CERT_DIR")))
    checked = replace(checked, chain=(replace(checked.chain[0], der=leaf),))
    fix = env_fix(examined, checked)
    (public, part) = fix.merge
    assert public == SYSTEM_BUNDLE
    assert part == "%s/%s.[0-9]*" % (OWN_FOLDER, os_store.subject_hash(ca.bundle))  # OpenSSL's own name for it
    assert fix.env == {"REQUESTS_CA_BUNDLE": OWN_FOLDER + "+public-roots.pem"}
    join = fix.lines["shell"].splitlines()[0]
    assert "for f in '%s'/%s; do" % (OWN_FOLDER, Path(part).name) in join  # the pattern is left to the shell


def test_requests_and_botocore_share_one_variable_and_botocore_alone_gets_its_own() -> None:
    """Both fail: REQUESTS_CA_BUNDLE reaches both; botocore alone: AWS_CA_BUNDLE, which no working client reads."""
    examined = in_cafile(with_clients(("requests", "2.32.3"), ("botocore", "1.35.0")))
    both = env_fix(examined, accepted((PRIVATE, ("env:SSL_CERT_FILE",))))
    assert set(both.env or {}) == {"REQUESTS_CA_BUNDLE"}
    assert both.clients == ("botocore", "requests")
    alone = in_cafile(with_clients(("botocore", "1.35.0"), ("pip", "25.0")))
    fix = env_fix(alone, accepted((PRIVATE, ("env:SSL_CERT_FILE",))))
    assert set(fix.env or {}) == {"AWS_CA_BUNDLE"}  # pip reads REQUESTS_CA_BUNDLE: left alone
    assert (fix.clients, fix.guards) == (("botocore",), ())


def test_pip_before_24_2_alone_gets_pip_cert() -> None:
    """pip 24.1 reads REQUESTS_CA_BUNDLE > CURL_CA_BUNDLE > PIP_CERT: PIP_CERT changes nothing else."""
    examined = in_cafile(with_clients(("requests", "2.32.3"), ("pip", "24.1.2")))
    pip_bundle = "/srv/app/venv/lib/python3.12/site-packages/pip/_vendor/certifi/cacert.pem"
    examined = replace(
        examined,
        distributions=tuple(replace(d, bundle=pip_bundle) if d.name == "pip" else d for d in examined.distributions),
    )
    fix = env_fix(examined, accepted((PRIVATE, ("env:SSL_CERT_FILE",)), refused=(pip_bundle,)))
    assert set(fix.env or {}) == {"PIP_CERT"}
    assert fix.clients == ("pip",)


def test_uv_is_switched_to_the_os_store_when_it_holds_the_root_else_pointed_at_the_file() -> None:
    """uv's switch to the OS store reaches it only when the OS store verified the chain; SSL_CERT_FILE otherwise."""
    examined = with_bundles(
        with_clients(("uv", "0.5.4"), mozilla="/srv/mozilla.pem"),
        bundle(SYSTEM_BUNDLE, "system", identities=PUBLIC_ROOTS | CORP),
    )
    system = env_fix(examined, accepted((SYSTEM_BUNDLE, ("system",)), refused=("/srv/mozilla.pem",)))
    assert system.env == {"UV_NATIVE_TLS": "1"}  # uv 0.5's switch (UV_SYSTEM_CERTS came in 0.11)
    assert "set UV_NATIVE_TLS=1" in system.summary
    private = in_cafile(with_clients(("uv", "0.5.4"), mozilla="/srv/mozilla.pem"))
    other = with_environment(private, SSL_CERT_FILE="")
    fix = env_fix(other, accepted((PRIVATE, ("env:X",)), refused=("/srv/mozilla.pem",)))
    assert fix.env == {"SSL_CERT_FILE": "/srv/app/private-ca+public-roots.pem"}


def test_a_variable_set_now_is_replaced_by_a_join_that_keeps_what_it_named() -> None:
    """REQUESTS_CA_BUNDLE names a corporate file without the root: the new file joins it, the public roots, the root."""
    corporate = "/srv/corp/other-ca.pem"
    examined = with_environment(in_cafile(with_clients(("requests", "2.32.3"))), REQUESTS_CA_BUNDLE=corporate)
    examined = with_bundles(examined, bundle(corporate, "env:REQUESTS_CA_BUNDLE", certificates=1, identities=CORP))
    fix = env_fix(examined, accepted((PRIVATE, ("env:SSL_CERT_FILE",)), refused=(corporate,)))
    assert fix.merge == (corporate, SYSTEM_BUNDLE, PRIVATE)
    assert fix.env == {"REQUESTS_CA_BUNDLE": "/srv/corp/other-ca+private-ca.pem"}
    assert "it replaces REQUESTS_CA_BUNDLE=%s (the joined file keeps what it named)" % corporate in fix.summary


def test_a_configuration_setting_in_effect_shadows_the_variables_after_it() -> None:
    """botocore's ca_bundle in its config file wins over REQUESTS_CA_BUNDLE: only AWS_CA_BUNDLE reaches it."""
    configured = "/srv/aws-ca.pem"
    examined = in_cafile(with_clients(("requests", "2.32.3"), ("botocore", "1.35.0")))
    examined = replace(examined, settings=(Setting("botocore", "ca_bundle", configured, "/root/.aws/config"),))
    examined = with_bundles(examined, bundle(configured, "config:ca_bundle", certificates=1, identities=frozenset()))
    fix = env_fix(examined, accepted((PRIVATE, ("env:SSL_CERT_FILE",)), refused=(CERTIFI, configured)))
    assert set(fix.env or {}) == {"REQUESTS_CA_BUNDLE", "AWS_CA_BUNDLE"}
    assert fix.clients == ("botocore", "requests")


def test_clients_that_work_and_read_a_changed_variable_guard_the_trial() -> None:
    """pip 24.2+ works and adds REQUESTS_CA_BUNDLE: the trial must show it still works."""
    examined = in_cafile(with_clients(("requests", "2.32.3"), ("pip", "25.0")))
    fix = env_fix(examined, accepted((PRIVATE, ("env:SSL_CERT_FILE",))))
    assert fix.clients == ("requests",)
    assert "pip" in fix.guards


def test_holders_not_proven_give_no_store() -> None:
    """A holder whose verification failed or was not tried is no candidate: the anchors' command remains."""
    checked = host(
        "host-unknown-ca",
        holders=(
            holder("/srv/fails.pem", verifies=False, reason="certificate has expired"),
            holder("/usr/local/share/ca-certificates", "local-anchors", verifies=None),
        ),
    )
    examined = with_bundles(facts(), bundle("/srv/fails.pem"))
    assert proven_stores(examined, checked) == []
    assert [fix.kind for fix in fixes(examined, checked)] == ["command"]


def test_a_program_that_is_not_python_gets_the_default_paths_variable_for_no_named_client() -> None:
    """A node process's handshake failed: SSL_CERT_FILE for its OpenSSL, no Python client named."""
    program = Subject("process", "/usr/bin/node", False, "files", pid=7, command=("node",))
    examined = with_bundles(facts(subject=program), bundle("/srv/ca-with-corp.pem"))
    checked = host("host-unknown-ca", holders=(holder("/srv/ca-with-corp.pem"),))
    fix = env_fix(examined, checked)
    assert (fix.env, fix.clients) == ({"SSL_CERT_FILE": "/srv/ca-with-corp.pem"}, ())


def test_a_host_every_client_accepts_needs_no_fix() -> None:
    """Nothing failed: nothing is proposed, even with holders."""
    examined = with_clients(("requests", "2.32.3"))
    assert fixes(examined, accepted((SYSTEM_BUNDLE, ("system",)), refused=())) == []


def test_a_variable_whose_absence_lets_the_client_fall_back_to_a_proven_store_is_unset() -> None:
    """pip 24.1 takes REQUESTS_CA_BUNDLE before PIP_CERT: unsetting it lets pip use PIP_CERT's file, which verified."""
    public_only, corporate = "/srv/public.pem", "/srv/corp-bundle.pem"
    examined = with_environment(with_clients(("pip", "24.1.2")), REQUESTS_CA_BUNDLE=public_only, PIP_CERT=corporate)
    examined = with_bundles(
        examined,
        bundle(public_only, "env:REQUESTS_CA_BUNDLE"),
        bundle(corporate, "env:PIP_CERT", identities=PUBLIC_ROOTS | CORP),
    )
    checked = accepted((corporate, ("env:PIP_CERT",)), refused=(public_only,))
    first = env_fix(examined, checked)
    assert (first.env, first.clients) == ({"REQUESTS_CA_BUNDLE": None}, ("pip",))
    assert first.summary.startswith(
        "For pip: unset REQUESTS_CA_BUNDLE=%s; without it pip trusts %s" % (public_only, corporate)
    )


def test_a_variable_is_not_unset_when_a_client_would_lose_what_it_named_or_fail() -> None:
    """REQUESTS_CA_BUNDLE names a corporate root certifi lacks: unsetting would drop it, so it is re-pointed."""
    corporate = "/srv/corp/other-ca.pem"
    examined = with_environment(with_clients(("requests", "2.32.3")), REQUESTS_CA_BUNDLE=corporate)
    examined = with_bundles(
        examined,
        bundle(corporate, "env:REQUESTS_CA_BUNDLE", certificates=1, identities=CORP),
        bundle(SYSTEM_BUNDLE, "system", identities=PUBLIC_ROOTS | frozenset({"app-root"})),
    )
    checked = accepted((SYSTEM_BUNDLE, ("system",)), (CERTIFI, ("certifi",)), refused=(corporate,))
    first = env_fix(examined, checked)
    assert first.env == {"REQUESTS_CA_BUNDLE": "/srv/corp/other-ca+ca-certificates.pem"}
    assert first.merge == (corporate, SYSTEM_BUNDLE)


def test_a_missing_file_in_a_variable_is_unset_when_the_default_store_verifies() -> None:
    """CURL_CA_BUNDLE names nothing: requests raises; without it requests uses certifi, which verified the chain."""
    examined = with_environment(with_clients(("requests", "2.32.3")), CURL_CA_BUNDLE="/srv/gone.pem")
    examined = with_bundles(examined, missing("/srv/gone.pem", "env:CURL_CA_BUNDLE"))
    checked = accepted((CERTIFI, ("certifi",)), refused=())
    first = env_fix(examined, checked)
    assert (first.env, first.clients) == ({"CURL_CA_BUNDLE": None}, ("requests",))


def test_unsetting_is_not_offered_when_other_clients_would_still_fail() -> None:
    """urllib fails the host as well and reads no CURL_CA_BUNDLE: the fix that leads reaches both."""
    examined = with_environment(with_clients(("requests", "2.32.3")), CURL_CA_BUNDLE="/srv/gone.pem")
    examined = with_bundles(examined, missing("/srv/gone.pem", "env:CURL_CA_BUNDLE"))
    checked = host("host-unknown-ca", holders=(holder(CERTIFI, "certifi"),))
    first = env_fix(examined, checked)
    assert first.env == {"SSL_CERT_FILE": CERTIFI, "REQUESTS_CA_BUNDLE": CERTIFI}
    assert first.clients == ("requests", "urllib (stdlib)")


def anchored(tmp_path: Path, *, public: bool, **environment: str) -> tuple[Facts, HostCheck, Path]:
    """No store serves; the root waits in a local anchor folder (unhashed), as a real file of a real CA."""
    from helpers.pki import make_ca
    from helpers.records import unserved

    ca = make_ca(tmp_path / "pki", ROOT.removeprefix("CN="))
    folder = tmp_path / "anchors"
    folder.mkdir()
    root = folder / "corp.crt"
    root.write_bytes(ca.bundle.read_bytes())
    examined = unserved(bundles=tuple(b for b in unserved().bundles if b.path != SYSTEM_BUNDLE))
    examined = with_environment(examined, **environment)
    examined = with_bundles(examined, directory(str(folder), "local-anchors", hash_links=0, unlinked=1))
    if public:
        examined = with_bundles(examined, bundle(SYSTEM_BUNDLE, "system"))
    leaf = ssl.PEM_cert_to_DER_cert(ca.cert.read_text())
    checked = host("host-unknown-ca", holders=(holder(str(folder), "local-anchors", verifies=False),))
    checked = replace(checked, chain=(replace(checked.chain[0], der=leaf),))
    return examined, checked, root


def test_a_root_in_an_anchor_folder_is_named_by_its_own_file_alone_when_no_public_roots_are_here(
    tmp_path: Path,
) -> None:
    """An image without a CA bundle: the anchor file that verified the chain is the store, said to hold it alone."""
    examined, checked, root = anchored(tmp_path, public=False)
    fix = env_fix(examined, checked)
    assert (fix.env, fix.merge, fix.clients) == ({"SSL_CERT_FILE": str(root)}, (), ("urllib (stdlib)",))
    assert "alone (no file of public roots is here to join)" in fix.summary
    assert "(%s verified the chain of app.example.test)" % root in fix.summary


def test_a_root_in_an_anchor_folder_is_joined_with_the_public_roots_when_some_are_here(tmp_path: Path) -> None:
    """The OS bundle lacks the root but holds the public roots: the anchor file is joined after them."""
    examined, checked, root = anchored(tmp_path, public=True)
    fix = env_fix(examined, checked)
    assert fix.merge == (SYSTEM_BUNDLE, str(root))
    assert fix.env == {"SSL_CERT_FILE": str(root.with_name("corp+public-roots.pem"))}


def test_a_client_whose_store_is_unusable_is_pointed_at_the_anchor_file_too(tmp_path: Path) -> None:
    """requests raises on a missing REQUESTS_CA_BUNDLE: its own variable is pointed at the file that verified."""
    examined, checked, root = anchored(tmp_path, public=False, REQUESTS_CA_BUNDLE="/srv/gone.pem")
    examined = with_bundles(examined, missing("/srv/gone.pem", "env:REQUESTS_CA_BUNDLE"))
    examined = replace(examined, distributions=with_clients(("requests", "2.32.3"), certifi=False).distributions)
    fix = env_fix(examined, checked)
    assert fix.env == {"REQUESTS_CA_BUNDLE": str(root), "SSL_CERT_FILE": str(root)}
    assert fix.clients == ("requests", "urllib (stdlib)")
