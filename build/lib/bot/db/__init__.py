"""Persistence: models, the engine, migrations and repositories."""
