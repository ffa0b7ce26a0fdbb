"""What a program or library file says about OpenSSL, read and never run.

Contract:
- reads: ELF headers and dynamic sections, the loader cache and search folders (ld.so's order), and the
  build strings OpenSSL leaves in its library (`OPENSSLDIR: "..."`), inside a `FileRoot`;
- returns: `ElfFacts`, the file a soname becomes, a `LoadedLibrary` from build strings (`openssl_build`, for the
  probe's and a file's alike), the TLS stacks a set of mapped file names carries;
- declared error: `elf.ElfError` for a file that is not (or no longer) sound ELF; every read is bounded and
  checked against the file's size.
"""
