"""A fix is for the clients its change moves onto the store it names, judged by each client's own rules afterwards."""

from __future__ import annotations

from helpers.records import (
    PUBLIC_ROOTS,
    SYSTEM_BUNDLE,
    bundle,
    holder,
    host,
    missing,
    with_bundles,
    with_clients,
    with_environment,
)

from cadoctor._fixes.complete import completed
from cadoctor._fixes.hosts import host_fixes
from cadoctor._model import Facts, Fix, HostCheck, StoreVerdict
from cadoctor._record import replace

CORP = frozenset({"corp-root"})
OTHER = "/srv/app/other.pem"
MOZILLA = "/srv/mozilla.pem"


def os_store_verified(*refused: str) -> HostCheck:
    """A host the default context verified, whose private root the OS bundle holds; `refused` stores fail it."""
    return host(
        None,
        holders=(holder(SYSTEM_BUNDLE, "system"),),
        stores=tuple(StoreVerdict(path, False, "unable to get local issuer certificate") for path in refused),
        public_root=False,
    )


def with_root_in_os_store(examined: Facts) -> Facts:
    """The facts with the OS bundle holding the public roots and the private root."""
    return with_bundles(examined, bundle(SYSTEM_BUNDLE, "system", identities=PUBLIC_ROOTS | CORP))


def env_fixes(examined: Facts, checked: HostCheck) -> list[Fix]:
    """The host's environment fixes on these facts."""
    return [f for f in host_fixes(replace(examined, hosts=(checked,)), ()) if f.kind == "env"]


def test_uv_switched_to_the_os_store_still_takes_ssl_cert_file_so_that_variable_is_the_fix() -> None:
    """UV_NATIVE_TLS is on and SSL_CERT_FILE names an unrelated file: no switch is offered, SSL_CERT_FILE is."""
    examined = with_root_in_os_store(with_clients(("uv", "0.13.9"), mozilla=MOZILLA))
    examined = with_environment(examined, UV_NATIVE_TLS="1", SSL_CERT_FILE=OTHER)
    examined = with_bundles(examined, bundle(OTHER, "env:SSL_CERT_FILE", certificates=1, identities=frozenset({"x"})))
    (fix,) = env_fixes(examined, os_store_verified(OTHER, MOZILLA))
    assert fix.env == {"SSL_CERT_FILE": "/srv/app/other+ca-certificates.pem"}
    assert fix.merge == (OTHER, SYSTEM_BUNDLE)  # what it named is kept, joined with the store that verified
    assert fix.clients == ("uv",)
    assert "UV_SYSTEM_CERTS" not in fix.summary


def test_an_empty_ssl_cert_file_stops_uv_in_its_os_store_mode_so_no_second_switch_is_offered() -> None:
    """UV_SYSTEM_CERTS is on and SSL_CERT_FILE is empty (uv refuses to start): the fix gives SSL_CERT_FILE a file."""
    examined = with_root_in_os_store(with_clients(("uv", "0.13.9"), mozilla=MOZILLA))
    examined = with_environment(examined, UV_SYSTEM_CERTS="1", SSL_CERT_FILE="")
    (fix,) = env_fixes(examined, os_store_verified(MOZILLA))
    assert fix.env == {"SSL_CERT_FILE": SYSTEM_BUNDLE}
    assert fix.clients == ("uv",)


def test_uv_with_nothing_set_is_still_switched_to_the_os_store() -> None:
    """No CA value set: turning the OS store on is what lands uv on the store that verified."""
    examined = with_root_in_os_store(with_clients(("uv", "0.13.9"), mozilla=MOZILLA))
    (fix,) = env_fixes(examined, os_store_verified(MOZILLA))
    assert fix.env == {"UV_SYSTEM_CERTS": "1"}
    assert fix.clients == ("uv",)


def test_a_client_no_variable_moves_is_not_claimed_by_the_fix() -> None:
    """google-auth's urllib3 transport loads certifi and reads no variable: the fix says so and is not for it."""
    certifi = "/srv/app/venv/lib/python3.12/site-packages/certifi/cacert.pem"
    examined = with_root_in_os_store(with_clients(("google-auth", "2.30.0"), ("requests", "2.32.3")))
    (fix,) = env_fixes(examined, os_store_verified(certifi))
    assert "google-auth/urllib3" not in fix.clients
    assert {"google-auth", "requests"} <= set(fix.clients)
    assert "no variable reaches google-auth/urllib3" in fix.summary


def test_unsetting_a_value_that_turns_verification_off_also_points_the_client_at_a_proven_store() -> None:
    """CURL_CA_BUNDLE='' turns requests 2.27's verification off; without it requests takes certifi, which fails."""
    certifi = "/srv/app/venv/lib/python3.12/site-packages/certifi/cacert.pem"
    examined = with_root_in_os_store(with_clients(("requests", "2.27.1")))
    examined = with_environment(examined, CURL_CA_BUNDLE="")
    checked = os_store_verified(certifi)
    unset = Fix("env", "Unset CURL_CA_BUNDLE", ("verification-disabled",), env={"CURL_CA_BUNDLE": None})
    fix = completed(examined, replace(unset, clients=("requests",), trial_host=checked))
    assert fix.env == {"CURL_CA_BUNDLE": None, "REQUESTS_CA_BUNDLE": SYSTEM_BUNDLE}
    assert fix.lines["shell"] == "unset CURL_CA_BUNDLE\nexport REQUESTS_CA_BUNDLE='%s'" % SYSTEM_BUNDLE
    assert fix.summary.startswith("Unset CURL_CA_BUNDLE; and point REQUESTS_CA_BUNDLE at %s" % SYSTEM_BUNDLE)


def test_an_unset_that_leaves_the_client_on_a_store_that_verified_is_left_as_it_is() -> None:
    """CURL_CA_BUNDLE names nothing and certifi verified the chain: unsetting it is the whole fix."""
    certifi = "/srv/app/venv/lib/python3.12/site-packages/certifi/cacert.pem"
    examined = with_environment(with_clients(("requests", "2.32.3")), CURL_CA_BUNDLE="/srv/gone.pem")
    examined = with_bundles(examined, missing("/srv/gone.pem", "env:CURL_CA_BUNDLE"))
    checked = host(None, holders=(holder(certifi, "certifi"),), public_root=True)
    unset = Fix("env", "Unset CURL_CA_BUNDLE", ("env-path-invalid",), env={"CURL_CA_BUNDLE": None})
    unset = replace(unset, clients=("requests",), trial_host=checked)
    assert completed(examined, unset) == unset
