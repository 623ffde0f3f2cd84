"""Shared ledger services every desk uses: audit, exceptions, files, sequences, inbox."""
