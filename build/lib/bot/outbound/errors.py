"""Failures of a request that certainly never left: the only ones safe to retry.

The HTTP backend (bot/runtime/http.py) raises them; the sender and /today read them.
"""

from __future__ import annotations

from telegram.error import NetworkError, TimedOut


class ConnectTimedOut(TimedOut):
    """No connection within the connect (or pool) timeout: the request never left."""


class ConnectFailed(NetworkError):
    """The connection could not be opened (refused, DNS, TLS): the request never left."""
