"""Each native TLS stack judged by its own rules: what the default-path findings mean for it, and its own findings.

The trust rules judge the OpenSSL default paths of the copy the program runs. When that program's stack does
not read them (node without --use-openssl-ca), those findings are about nothing it does and are dropped; what
it ignores is said instead. Other copies in the process are judged by their consumer's row: a copy whose
consumer never reads its default paths (grpc's BoringSSL, librdkafka) is listed, not a warning.
"""

from __future__ import annotations

from collections.abc import Iterator

from cadoctor._model import Facts, Finding, LoadedLibrary, Severity, Stack
from cadoctor._record import replace
from cadoctor._rules.stack_table import (
    ALWAYS,
    NOT_OPENSSL,
    SWITCHED,
    StackRule,
    default_paths_of,
    reads_paths,
    stack_rule,
)

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

# Findings about the in-use copy's default paths (or the variables that redirect them).
DEFAULT_PATH_CODES = frozenset(
    (
        "trust-store-empty",
        "openssldir-missing",
        "default-cafile-missing",
        "default-capath-missing",
        "capath-unhashed",
        "libressl-ignores-env",
        "strict-verification",
    )
)
_OPENSSL_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR")


def program_stack(facts: Facts) -> Stack | None:
    """The stack of the copy the program itself runs (None for this interpreter, or when unknown)."""
    library = facts.ssl_library
    if library is None:
        return None
    return next((s for s in facts.stacks if s.library == library.path), None)


def _words(rule: StackRule, facts: Facts) -> list[str]:
    """The process's command line, NODE_OPTIONS for node, PGSSLROOTCERT for libpq: where switches are given."""
    command = list(facts.subject.command if facts.subject is not None else ())
    if rule.consumer == "libpq" and facts.runtime.environment.get("PGSSLROOTCERT") == "system":
        command.append("sslrootcert=system")  # the variable is the option's default
    options = facts.runtime.environment.get("NODE_OPTIONS", "") if rule.consumer == "node" else ""
    try:
        import shlex  # only for a process that has such options

        return [*command, *shlex.split(options)]
    except ValueError:  # an unbalanced quote: node would refuse to start, so nothing is switched
        return command


def reads_default_paths(facts: Facts) -> bool:
    """Whether the program's own verification reads its OpenSSL's default paths (as Python's ssl always does)."""
    stack = program_stack(facts)
    if stack is None:
        return True
    rule = stack_rule(stack.consumer)
    return reads_paths(rule, stack.consumer_version, _words(rule, facts), stack.build_switches)


def about_default_paths(finding: Finding) -> bool:
    """Whether a finding is about the default paths (or the variables that set them) of the copy in use."""
    if finding.code in DEFAULT_PATH_CODES:
        return True
    variable = finding.evidence.get("variable")
    return finding.code in ("env-path-invalid", "override-replaces-defaults") and variable in _OPENSSL_VARIABLES


def judge_stacks(facts: Facts) -> tuple[Stack, ...]:
    """Each stack with what it trusts and whether its OpenSSL's default paths count, by its row."""
    program = program_stack(facts)
    judged = []
    for stack in facts.stacks:
        rule = stack_rule(stack.consumer)
        if rule.default_paths == NOT_OPENSSL:
            reads = None
        elif stack is program:
            reads = reads_default_paths(facts)
        else:
            reads = reads_paths(rule, stack.consumer_version, _words(rule, facts), stack.build_switches)
        store = rule.store
        if default_paths_of(rule, stack.consumer_version) != rule.default_paths:
            store += " (this version predates %s: it never reads them)" % " and ".join(rule.switches)
        elif stack.build_switches:
            store += " (its build turns on %s%s)" % (
                " and ".join(stack.build_switches),
                ", which %s undoes" % " or ".join(rule.restoring) if rule.restoring else "",
            )
        judged.append(replace(stack, store=store, reads_default_paths=reads))
    return tuple(judged)


def stack_findings(facts: Facts) -> Iterator[Finding]:
    """What the program's stack ignores, copies whose consumers depend on paths that do not serve, other stacks."""
    yield from _ignored_variables(facts)
    yield from _multiple_openssl(facts)
    for stack in facts.stacks:
        rule = stack_rule(stack.consumer)
        if rule.default_paths == NOT_OPENSSL:
            yield Finding(
                "stack-not-openssl",
                INFO,
                "%s (%s) is not OpenSSL: cadoctor cannot judge what verifies with it; it trusts %s"
                % (stack.implementation, stack.path, rule.store),
                {"consumer": stack.consumer, "implementation": stack.implementation, "path": stack.path},
            )


def _ignored_variables(facts: Facts) -> Iterator[Finding]:
    """SSL_CERT_FILE or SSL_CERT_DIR set for a program whose stack does not read them: name what does work."""
    stack = program_stack(facts)
    if stack is None or reads_default_paths(facts):
        return
    rule = stack_rule(stack.consumer)
    for variable in _OPENSSL_VARIABLES:
        value = facts.runtime.environment.get(variable)
        if not value:
            continue
        unless = " (unless started with %s)" % " or ".join(rule.switches) if rule.switches else ""
        yield Finding(
            "stack-ignores-variable",
            WARNING,
            "%s ignores %s=%s: it trusts %s%s; the roots there are not trusted by it. %s adds a file to its "
            "roots" % (rule.title, variable, value, rule.store, unless, rule.fix),
            {"consumer": stack.consumer, "variable": variable, "path": value, "fix": rule.fix},
        )


def _copy_serves(library: LoadedLibrary, facts: Facts) -> bool:
    """Whether a copy's default paths hold anything: its OPENSSLDIR exists, or SSL_CERT_FILE/DIR name something."""
    if any(facts.runtime.environment.get(v) for v in _OPENSSL_VARIABLES):
        return True
    return library.openssldir_exists is not False


def _multiple_openssl(facts: Facts) -> Iterator[Finding]:
    """More than one OpenSSL: a warning only when a consumer of another copy depends on paths that do not serve."""
    copies = {lib.realpath: lib for lib in facts.libraries if lib.role in ("libcrypto", "static")}
    if len(copies) < 2:
        return
    consumers = {s.library: s.consumer for s in facts.stacks if s.library}
    versions = {s.library: s.consumer_version for s in facts.stacks if s.library}
    listed = sorted(copies.values(), key=lambda lib: not lib.in_use)
    failing = []
    for lib in listed:
        rule = stack_rule(consumers.get(lib.path, "program"))
        depends = default_paths_of(rule, versions.get(lib.path)) in (ALWAYS, SWITCHED)
        if not lib.in_use and depends and not _copy_serves(lib, facts):
            failing.append((lib, rule))
    described = []
    for lib in listed:
        used_by = "used by ssl" if lib.in_use and facts.subject is None else consumers.get(lib.path)
        described.append(
            "%s (%s, OPENSSLDIR %s%s)"
            % (lib.path, lib.flavour or "OpenSSL", lib.openssldir, ", " + used_by if used_by else "")
        )
    yield Finding(
        "multiple-openssl",
        WARNING if failing else INFO,
        "%d OpenSSL copies are loaded: %s%s"
        % (
            len(listed),
            ", ".join(described),
            "".join(
                "; %s's copy has OPENSSLDIR %s, which does not exist here: %s finds no roots there (fix: %s)"
                % (rule.title, lib.openssldir, rule.switches[0] if rule.switches else rule.title, rule.fix)
                for lib, rule in failing
            ),
        ),
        {
            "libraries": [
                {
                    "path": lib.path,
                    "openssldir": lib.openssldir,
                    "in_use": lib.in_use,
                    "consumer": consumers.get(lib.path),
                }
                for lib in listed
            ]
        },
    )
