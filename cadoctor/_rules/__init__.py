"""Pure rules: facts in, findings out. No module here opens a file, runs a program or imports I/O."""
