"""Daily tip delivery: when each tip is due, which tip, the ledger, the tick and the sender."""
