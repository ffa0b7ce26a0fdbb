"""Certificates as OpenSSL reads them: DER, PEM blocks, canonical names and subject hashes, bundles and stores.

Contract:
- reads: CA files and hashed folders through `fs` (bounded: a block, a file and a folder each have a limit), as
  OpenSSL loads them: a plain PEM file by cadoctor's scan, anything else by the loaded libcrypto's own readers
  (`openssl_reading`, through the handle `_ssl` uses: never a new copy, never a FIFO);
- returns: a `Bundle` per file or folder (`bundle.inventory_bundle`; the candidates of a runtime, `stores`),
  the certificates a name designates, OpenSSL's subject hash and name comparison (one canonical form, `names`);
- declared error: `der.MalformedDER` from the DER reader alone; everything above it turns bad content into a
  problem recorded on the bundle, never an exception, so one damaged certificate never stops a check.
"""
