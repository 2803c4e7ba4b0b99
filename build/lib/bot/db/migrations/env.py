"""Alembic environment: always given a live connection by bot.db.migrate."""

from alembic import context

from bot.db import models  # noqa: F401  (registers the tables on the metadata)
from bot.db.base import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `gutskin-bot db upgrade`, not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
