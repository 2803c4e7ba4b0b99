"""The admin console: every handler here sits behind one admin filter."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the admin handlers."""
