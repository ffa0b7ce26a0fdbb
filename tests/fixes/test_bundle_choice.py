"""Which bundle a fix may name, and the joined file of public roots and a private CA, built by its own lines."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.records import PRIVATE, SYSTEM_BUNDLE, bundle, directory, facts

from cadoctor._fixes.bundles import best_bundle, merged_fix, trustworthy
from cadoctor._model import Bundle, Exposure, Fix

CERTIFI = "/srv/venv/certifi/cacert.pem"
WRITABLE = (Exposure("/srv", 1000, 0o777, "writable by every user"),)


@pytest.mark.parametrize(
    ("candidate", "ok"),
    [
        (bundle("/srv/ca.pem"), True),
        (bundle("/srv/ca\n.pem"), False),  # a name no line can carry as it is
        (bundle("/srv/\u202eca.pem"), False),  # a bidirectional override reorders what a person reads
        (directory("/srv/certs"), False),
        (bundle("/srv/ca.pem", file_type="symlink-loop"), False),
        (bundle("/srv/ca.pem", certificates=0), False),
        (bundle("/srv/ca.pem", exposures=WRITABLE), False),
        (bundle("/srv/ca.pem", expired=60, not_yet_valid=10), False),  # half the bundle stale
        (bundle("/srv/ca.pem", expired=69), True),
        (bundle("/srv/ca.pem", parsed=False, certificates=0), False),  # not read: not for a tried fix
    ],
)
def test_a_fix_names_only_a_regular_parsed_file_nobody_else_can_write(candidate: Bundle, ok: bool) -> None:
    """A bundle a fix may point at: printable path, regular file, certificates, no exposure, mostly valid."""
    assert trustworthy(candidate) is ok


@pytest.mark.parametrize(
    ("candidate", "ok"),
    [
        (bundle("/srv/ca.pem", parsed=False, certificates=0), True),
        (bundle("/srv/ca.pem", parsed=False, certificates=0, size=0), False),
        (bundle("/srv/ca.pem", parsed=False, certificates=0, size=None), False),
        (bundle("/srv/ca.pem", certificates=0), False),  # read, and empty: never
    ],
)
def test_a_file_only_looked_at_may_be_named_in_lines_a_person_runs(candidate: Bundle, ok: bool) -> None:
    """`unread`: an unparsed non-empty regular file may be named in lines for a person, never in a tried fix."""
    assert trustworthy(candidate, unread=True) is ok


def test_the_os_bundle_is_preferred_to_certifi_and_an_excluded_path_is_skipped() -> None:
    """The OS's own bundle first, then certifi's; the excluded path (the one that failed) is never proposed."""
    examined = facts(bundles=(bundle(CERTIFI, "certifi"), bundle(SYSTEM_BUNDLE, "system")))
    assert best_bundle(examined) == bundle(SYSTEM_BUNDLE, "system")
    assert best_bundle(examined, exclude=SYSTEM_BUNDLE) == bundle(CERTIFI, "certifi")
    untrusted = facts(bundles=(bundle(SYSTEM_BUNDLE, "system", exposures=WRITABLE), bundle("/srv/other.pem")))
    assert best_bundle(untrusted) is None  # a bundle without the system or certifi role is never a candidate


def test_an_unread_bundle_is_chosen_only_when_asked_for() -> None:
    """A bundle only looked at (a light look) is named only with `unread`."""
    examined = facts(bundles=(bundle(SYSTEM_BUNDLE, "system", parsed=False, certificates=0),))
    assert best_bundle(examined) is None
    assert best_bundle(examined, unread=True) == examined.bundles[0]


def test_the_joined_file_lands_beside_the_private_one_with_shell_and_dockerfile_lines() -> None:
    """The merge fix joins the OS bundle and the private CA into `<stem>+public-roots.pem` and points at it."""
    examined = facts(bundles=(bundle(SYSTEM_BUNDLE, "system"), bundle(PRIVATE, "env:SSL_CERT_FILE", certificates=1)))
    merged = "/srv/app/private-ca+public-roots.pem"
    join = "(cat '%s'; echo; cat '%s') > '%s'" % (SYSTEM_BUNDLE, PRIVATE, merged)
    assert merged_fix(examined, PRIVATE, ("host-unknown-ca",), "NIX_SSL_CERT_FILE") == Fix(
        "env",
        "Join the public roots of %s and %s in one file and point NIX_SSL_CERT_FILE at it (it keeps both; rebuild "
        "it when the OS store changes)" % (SYSTEM_BUNDLE, PRIVATE),
        ("host-unknown-ca",),
        env={"NIX_SSL_CERT_FILE": merged},
        lines={
            "shell": join + "\nexport NIX_SSL_CERT_FILE='%s'" % merged,
            "dockerfile": "RUN " + join + '\nENV NIX_SSL_CERT_FILE="%s"' % merged,
        },
        sample_source=SYSTEM_BUNDLE,
        merge=(SYSTEM_BUNDLE, PRIVATE),
    )


@pytest.mark.parametrize(
    "bundles",
    [
        (bundle(PRIVATE, certificates=1),),  # no public bundle to join
        (bundle(SYSTEM_BUNDLE, "system"),),  # the private file was never inventoried
        (bundle(SYSTEM_BUNDLE, "system"), bundle(PRIVATE, certificates=1, exposures=WRITABLE)),  # others write there
    ],
)
def test_no_joined_file_without_both_halves_or_beside_a_file_others_can_write(bundles: tuple[Bundle, ...]) -> None:
    """The merge needs a public bundle and a private file that is trustworthy (its folder gets the joined file)."""
    assert merged_fix(facts(bundles=bundles), PRIVATE, ("x",)) is None


def test_the_shell_lines_build_the_joined_file_for_hostile_names(tmp_path: Path) -> None:
    """Run by /bin/sh, the merge lines write public roots, a newline, then the private CA, and set the variable."""
    public = tmp_path / "os $(id) 'roots'.pem"
    private = tmp_path / "corp `id`; ca.pem"
    public.write_text("PUBLIC")  # no final newline: the `echo` keeps the two apart
    private.write_text("PRIVATE\n")
    examined = facts(bundles=(bundle(str(public), "system"), bundle(str(private), certificates=1)))
    fix = merged_fix(examined, str(private), ("x",))
    assert fix is not None
    script = fix.lines["shell"] + '\nprintf "%s" "$SSL_CERT_FILE"'
    done = subprocess.run(["/bin/sh", "-c", script], cwd=tmp_path, env=child_env(), capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    joined = tmp_path / "corp `id`; ca+public-roots.pem"
    assert done.stdout.decode() == str(joined)
    assert joined.read_text() == "PUBLIC\nPRIVATE\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([public.name, private.name, joined.name])
