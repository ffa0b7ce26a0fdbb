"""The suite's real parts, one module per kind, imported as `helpers.<module>` (pytest puts tests/ on sys.path).

- `environment`: the one clean environment every child starts from (stdlib only: the benchmarks load it by path).
- `runs`: cadoctor run as a user runs it, and its JSON documents read and validated against the shipped schemas.
- `pki`: CAs and chains made for a test, and this host's system bundle.
- `openssl`: a copy of this host's libcrypto whose OPENSSLDIR does not exist, and what this user may read of one.
- `servers`: loopback servers: TLS, misbehaving TCP peers, a CONNECT proxy, and the HTTP/gRPC one the clients ask.
- `processes`: real processes started and waited for until they are set up.
- `interpreters`: the CPythons this machine has, interpreters that misbehave, and handshakes made by one.
- `clients`: the real TLS clients' harness (Y, N or X for one request through a named library).
- `os_store`: a private /etc/ssl/certs in a mount namespace, for the clients that read the OS store.
- `artefacts`: real third-party programs (frozen apps, a wheel's node), built once and cached; `venvs`: the venvs
  of real client libraries and native stacks, built the same way; `images`: Debian images made by debootstrap,
  cached the same way, and what their own python3 verifies in a chroot.
- `recorded`: facts recorded on platforms no machine here runs; `records`: model records for the pure rules.

The tests test the installed package: nothing here puts the checkout on sys.path. `CHECKOUT` is only read
(the docs, the README, CI's script), as data.
"""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
CHECKOUT = TESTS.parent
