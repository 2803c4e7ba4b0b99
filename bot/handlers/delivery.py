"""Daily tip buttons and /today."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register the daily tip's buttons and /today."""
