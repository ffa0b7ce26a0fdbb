"""Live TLS: handshakes with the hosts of `check --host`, and chains verified offline against each client's store.

Contract:
- does: one handshake per host with the examined process's default context (through the HTTP proxy a client
  here would use), reads the chain the server sent (`fetch`, on a connection that only looks), and asks the
  already loaded libcrypto whether each store would accept it (`verifier`, `X509_verify_cert`: OpenSSL's rules,
  not a stricter reading), with the examined Python's flags: whether a store anchors the chain only at an
  intermediate (VERIFY_X509_PARTIAL_CHAIN, set by 3.13's default context), and which certificate
  VERIFY_X509_STRICT refuses when that is why a handshake failed;
- returns: raw outcomes (`handshake.Handshake`: stage, error, verify code, chain) and `HostCheck` records
  (`analysis.analyse`) with the chain described and who holds its root (`holders`), gathered on raw conditions;
  the meaning of an outcome (its `host-*` code) is decided by `_rules.handshakes`, not here;
- never: loads a new OpenSSL, sends more than a handshake, or waits past its timeout.
"""
