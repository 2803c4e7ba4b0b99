"""The commands every user sees in Telegram's menu, in menu order (each has a catalog key
`command_<name>`); admins see theirs after these (`handlers.admin.auth.ADMIN_COMMANDS`)."""

COMMANDS = (
    "start",
    "today",
    "faq",
    "book",
    "settings",
    "time",
    "timezone",
    "topics",
    "language",
    "pause",
    "resume",
    "stop",
    "privacy",
    "mydata",
    "deletemydata",
    "help",
)
