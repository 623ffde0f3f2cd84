"""OpsLedger engine: the single authority for every state change.

The engine is UI-free. The console, the background jobs and the CLI call the public functions in
``engine.api``; nothing else writes to the ledger.
"""
