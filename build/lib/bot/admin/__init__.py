"""The clinic's side: admins and roles, stats, charts and broadcasts (no Telegram)."""
