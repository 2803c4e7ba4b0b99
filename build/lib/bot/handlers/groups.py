"""Handler groups: the one ordered table of where each kind of handler sits.

PTB tries the groups from the lowest number up; in each group the first handler that matches
handles the update, and the next group is tried after it unless the handler stops that
(ApplicationHandlerStop). Typed answers a chat is waiting for therefore come before the main
group, where commands and buttons sit, then the FAQ's free text, then the fallback (the order
of modules inside MAIN is `bot.handlers.register_all`'s).
"""

from __future__ import annotations

from enum import IntEnum


class Group(IntEnum):
    """Handler groups, first tried first."""

    EDITED = -10  # an edited message: answered "send it again" and stopped, before all else
    ADMIN_INPUT = -6  # an admin's typed input and uploads, only while that chat waits for one
    BROADCAST_INPUT = -5  # the broadcast composer's typed text and photos
    ADMIN_REFUSALS = -4  # logs non-admins trying admin commands; never answers
    TYPED_ZONE = -3  # a typed city or offset, or a shared location, after /timezone
    TYPED_TIME = -2  # a typed time after /time
    STOP_WORDS = -1  # STOP typed as text
    MAIN = 0  # commands and buttons, then the FAQ's free text, then the fallback
