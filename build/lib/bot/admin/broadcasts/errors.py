"""The one error broadcasts raise for refused input."""

from __future__ import annotations


class Invalid(ValueError):
    """Refused input. `code` names the catalog message bc_error_<code>; values fill it."""

    def __init__(self, code: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.code = code
        self.values = values
