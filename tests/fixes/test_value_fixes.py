"""Fixes for a CA value some client cannot use: unset it, the breaking client's own variable, the setting changed."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import records

from cadoctor._fixes.settings import edited, edited_copy, value_fixes
from cadoctor._model import ConfigEdit, Facts, Fix, Setting
from cadoctor._record import replace
from cadoctor._rules.trust import diagnose

SYSTEM_BUNDLE = records.SYSTEM_BUNDLE


def fixes_for(examined: Facts) -> list[tuple[str, object]]:
    """The value fixes for what diagnose finds: (kind, the change) of each."""
    found = value_fixes(examined, diagnose(examined))
    return [(f.kind, f.env if f.kind == "env" else f.edit if f.kind == "config" else f.command) for f in found]


def test_a_folder_requests_reads_and_botocore_refuses_gets_botocores_own_variable() -> None:
    """REQUESTS_CA_BUNDLE=/etc/ssl/certs: requests loads it, botocore raises: AWS_CA_BUNDLE for botocore alone."""
    examined = records.with_bundles(
        records.with_environment(
            records.with_clients(("requests", "2.34.2"), ("botocore", "1.44.8")), REQUESTS_CA_BUNDLE="/etc/ssl/certs"
        ),
        records.directory("/etc/ssl/certs", "system", "env:REQUESTS_CA_BUNDLE"),
    )
    (fix,) = value_fixes(examined, diagnose(examined))
    assert (fix.env, fix.clients, fix.addresses) == (
        {"AWS_CA_BUNDLE": SYSTEM_BUNDLE},
        ("botocore",),
        ("env-path-invalid",),
    )
    assert fix.summary == "Point AWS_CA_BUNDLE at %s for botocore, and leave REQUESTS_CA_BUNDLE to requests" % (
        SYSTEM_BUNDLE
    )


def test_a_value_no_client_loads_is_unset() -> None:
    """CURL_CA_BUNDLE naming a missing file: requests raises on it and nothing loads it, so it goes."""
    examined = records.with_bundles(
        records.with_environment(records.with_clients(("requests", "2.34.2")), CURL_CA_BUNDLE="/srv/gone"),
        records.missing("/srv/gone"),
    )
    assert fixes_for(examined) == [("env", {"CURL_CA_BUNDLE": None})]


def test_an_empty_value_that_turns_verification_off_is_unset() -> None:
    """REQUESTS_CA_BUNDLE='' under botocore 1.29: unsetting it turns its verification back on."""
    examined = records.with_environment(records.with_clients(("botocore", "1.29.27")), REQUESTS_CA_BUNDLE="")
    (fix,) = value_fixes(examined, diagnose(examined))
    assert (fix.env, fix.addresses, fix.clients) == (
        {"REQUESTS_CA_BUNDLE": None},
        ("verification-disabled",),
        ("botocore",),
    )


def test_a_stale_aws_setting_is_set_to_the_system_bundle_or_removed_in_its_file() -> None:
    """ca_bundle naming a missing file in the AWS config: two config fixes, each tried on a copy of the file."""
    config = "/home/u/.aws/config"
    examined = records.with_bundles(
        records.with_clients(("botocore", "1.44.8"), settings=(Setting("botocore", "ca_bundle", "/srv/x", config),)),
        records.missing("/srv/x"),
    )
    assert fixes_for(examined) == [
        ("config", ConfigEdit(config, "default", "ca_bundle", SYSTEM_BUNDLE, "AWS_CONFIG_FILE")),
        ("config", ConfigEdit(config, "default", "ca_bundle", None, "AWS_CONFIG_FILE")),
    ]
    profiled = records.with_environment(examined, AWS_PROFILE="dev")
    assert {edit.section for _, edit in fixes_for(profiled)} == {"profile dev"}  # type: ignore[attr-defined]


def test_pips_global_file_can_be_given_a_cert_in_a_trial_but_not_lose_one() -> None:
    """pip reads /etc/pip.conf whatever PIP_CONFIG_FILE names: removing its cert cannot be tried on a copy."""
    examined = records.with_bundles(
        records.with_clients(("pip", "24.1.2"), settings=(Setting("pip", "cert", "/srv/x", "/etc/pip.conf"),)),
        records.missing("/srv/x"),
    )
    found = value_fixes(examined, diagnose(examined))
    assert [(f.edit.value, f.edit.triable) for f in found if f.edit] == [(SYSTEM_BUNDLE, True), (None, False)]
    assert found[1].evidence == "not tried: /etc/pip.conf is read whatever PIP_CONFIG_FILE names"


def test_an_unhashed_folder_a_client_finds_nothing_in_gets_its_hash_links() -> None:
    """REQUESTS_CA_BUNDLE naming a folder of certificates without links: `openssl rehash` it."""
    examined = records.with_bundles(
        records.with_environment(records.with_clients(("requests", "2.34.2")), REQUESTS_CA_BUNDLE="/srv/corp"),
        records.directory("/srv/corp", hash_links=0, unlinked=2),
    )
    assert ("command", "openssl rehash '/srv/corp'") in fixes_for(examined)


def test_an_ini_key_is_set_or_removed_and_every_other_line_stays() -> None:
    """The edit replaces the key in its section only, adds the key or the section when missing, keeps comments."""
    text = "# mine\n[default]\nregion = eu\nca_bundle = /old\n\n[profile dev]\nca_bundle = /dev\n"
    assert edited(text, "default", "ca_bundle", "/new") == (
        "# mine\n[default]\nregion = eu\nca_bundle = /new\n\n[profile dev]\nca_bundle = /dev\n"
    )
    assert (
        edited(text, "default", "ca_bundle", None)
        == "# mine\n[default]\nregion = eu\n\n[profile dev]\nca_bundle = /dev\n"
    )
    assert edited(text, "profile x", "ca_bundle", "/x").endswith("[profile x]\nca_bundle = /x\n")
    assert edited("[global]\nindex-url = i\n", "global", "cert", "/c") == "[global]\nindex-url = i\ncert = /c\n"
    assert edited("", "global", "cert", "/c") == "[global]\ncert = /c\n"


def test_the_trial_copy_is_written_beside_the_trial_never_over_the_file(tmp_path: Path) -> None:
    """edited_copy reads the file (a FIFO never blocks it) and writes the edited text to the trial's folder."""
    config = tmp_path / "config"
    config.write_text("[default]\nca_bundle = /old\n")
    copy = edited_copy(ConfigEdit(str(config), "default", "ca_bundle", "/new", "AWS_CONFIG_FILE"), str(tmp_path), 3)
    assert Path(copy).read_text() == "[default]\nca_bundle = /new\n"
    assert config.read_text() == "[default]\nca_bundle = /old\n"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    blocked = edited_copy(ConfigEdit(str(fifo), "default", "ca_bundle", "/new", "AWS_CONFIG_FILE"), str(tmp_path), 4)
    assert Path(blocked).read_text() == "[default]\nca_bundle = /new\n"


def test_a_fix_only_for_clients_cadoctor_cannot_ask_is_not_said_to_work() -> None:
    """A fix for uv alone (a binary cadoctor never runs), without a host: untried, not verified by proxy."""
    from cadoctor._fixes.verify import verify
    from cadoctor._model import Fix

    fix = Fix(kind="env", summary="Unset SSL_CERT_FILE", addresses=("env-path-invalid",), env={"SSL_CERT_FILE": None})
    (tried,) = verify((replace(fix, clients=("uv",)),), records.facts(), environment={"PATH": "/usr/bin:/bin"})
    assert (tried.verified, tried.evidence) == (None, "not tried: cadoctor cannot ask uv")


def _pip_setting_fixes(source: Path, **environment: str) -> list[Fix]:
    """The config fixes for pip's `cert` in `source` naming a missing file, pip 26.3 installed."""
    setting = Setting("pip", "cert", "/srv/gone.pem", str(source), "global")
    examined = records.with_bundles(
        records.with_environment(records.with_clients(("pip", "26.3"), settings=(setting,)), **environment),
        records.missing("/srv/gone.pem"),
    )
    return [f for f in value_fixes(examined, diagnose(examined)) if f.kind == "config"]


def test_pips_own_command_edits_the_last_file_of_a_scope_that_has_no_comment(tmp_path: Path) -> None:
    """~/.config/pip/pip.conf, plain: `python -m pip config --user set|unset`; with a comment: the awk line."""
    conf = tmp_path / ".config" / "pip" / "pip.conf"
    conf.parent.mkdir(parents=True)
    conf.write_text("[global]\ncert = /srv/gone.pem\n")
    setting, removal = _pip_setting_fixes(conf, HOME=str(tmp_path))
    assert setting.lines["shell"] == "'/usr/bin/python3.12' -m pip config --user set global.cert '%s'" % SYSTEM_BUNDLE
    assert removal.lines["shell"] == "'/usr/bin/python3.12' -m pip config --user unset global.cert"
    assert removal.edit is not None
    assert removal.edit.triable  # a user file: PIP_CONFIG_FILE's copy stands for it
    conf.write_text("# the proxy's CA\n[global]\ncert = /srv/gone.pem\n")
    commented = _pip_setting_fixes(conf, HOME=str(tmp_path))
    assert all(" awk '" in f.lines["shell"] for f in commented)  # pip config would drop the comment


def test_a_file_pip_config_cannot_name_gets_the_awk_line(tmp_path: Path) -> None:
    """PIP_CONFIG_FILE's own file, and the legacy ~/.pip/pip.conf: no scope of `pip config` writes them."""
    named = tmp_path / "named.conf"
    named.write_text("[global]\ncert = /srv/gone.pem\n")
    legacy = tmp_path / ".pip" / "pip.conf"
    legacy.parent.mkdir()
    legacy.write_text("[global]\ncert = /srv/gone.pem\n")
    for fix in _pip_setting_fixes(named, HOME=str(tmp_path), PIP_CONFIG_FILE=str(named)):
        assert fix.lines["shell"].startswith("CADOCTOR_SECTION='global' CADOCTOR_KEY='cert' CADOCTOR_VALUE=")
        assert fix.lines["shell"].endswith(" '%s'" % named)
    assert all(" awk '" in f.lines["shell"] for f in _pip_setting_fixes(legacy, HOME=str(tmp_path)))


def test_the_section_edited_is_the_one_the_value_was_read_from() -> None:
    """`[profile "my dev"]` as the file spells it: the edit and its line name that very section."""
    config = "/home/u/.aws/config"
    setting = Setting("botocore", "ca_bundle", "/srv/x", config, 'profile "my dev"')
    examined = records.with_bundles(
        records.with_environment(records.with_clients(("botocore", "1.44.8"), settings=(setting,)), AWS_PROFILE="dev"),
        records.missing("/srv/x"),
    )
    fixes = value_fixes(examined, diagnose(examined))
    assert [f.edit.section for f in fixes if f.edit] == ['profile "my dev"', 'profile "my dev"']
    assert all("CADOCTOR_SECTION='profile \"my dev\"'" in f.lines["shell"] for f in fixes)
    removal = fixes[-1]
    assert "CADOCTOR_VALUE='' awk" in removal.lines["shell"]  # an empty value removes the key: never set empty
