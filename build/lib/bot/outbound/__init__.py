"""Sending to Telegram: pacing, the sender, send outcomes and the delivery ledger."""
