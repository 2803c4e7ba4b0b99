"""The content in use now: tips/ merged with admins' stored changes, cached per revision.

One `LiveContent` per application serves the delivery tick, /today, the tip buttons and the
FAQ. Asking costs one primary-key read (the revision token) unless an admin changed something;
then the stored changes are read once and the FAQ matcher is rebuilt only when the FAQ changed.
The matcher is made by the caller's factory, so content needs nothing of the FAQ's logic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import store
from bot.content.library import Library
from bot.content.loader import Content
from bot.content.models import FaqEntry

M = TypeVar("M")

Gate = Callable[[AsyncSession, Content, Library], Awaitable[tuple[tuple[FaqEntry, ...], Library]]]
"""What patients may see of some content: (the FAQ entries, the library). CONTENT_REVIEW=required
passes bot.admin.review's gate, so only reviewed wording is answered and delivered."""


@dataclass(frozen=True)
class Live(Generic[M]):
    """The content at one revision (None: admins changed nothing, the files as they are)."""

    revision: str | None
    content: Content  # the files, with the FAQ and the tips in use
    library: Library  # what the tick and /today plan with
    matcher: M  # matches questions against `content.faq`


class LiveContent(Generic[M]):
    """The live content of one application."""

    def __init__(
        self,
        files: Content,
        matcher_for: Callable[[tuple[FaqEntry, ...]], M],
        matcher: M | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.files = files
        self._gate = gate
        self._gated: tuple[object, Live[M]] | None = None
        self._matcher_for = matcher_for
        base_matcher = matcher if matcher is not None else matcher_for(files.faq)
        self.base: Live[M] = Live(None, files, Library(files.tips, files.program), base_matcher)
        self._cached = self.base

    async def now(self, session: AsyncSession) -> Live[M]:
        """The content in use at this moment (only what patients may see, with a gate)."""
        live = await self._stored(session)
        if self._gate is None:
            return live
        faq, library = await self._gate(session, live.content, live.library)
        key = (live.revision, tuple(e.id for e in faq), tuple(t.id for t in library.tips))
        if self._gated is not None and self._gated[0] == key:
            return self._gated[1]
        gated = Live(
            live.revision,
            dataclasses.replace(live.content, faq=faq, tips=library.tips),
            library,
            live.matcher if faq == live.content.faq else self._matcher_for(faq),
        )
        self._gated = (key, gated)
        return gated

    async def _stored(self, session: AsyncSession) -> Live[M]:
        """The files merged with admins' stored changes, cached per revision."""
        token = await store.revision(session)
        cached = self._cached
        if cached.revision == token:
            return cached
        if token is None:
            live = self.base
        else:
            state = await store.load_state(session, self.files)
            library = Library(state.active_tips, state.program, state.paused)
            same_faq = state.faq == self.files.faq
            live = Live(
                token,
                dataclasses.replace(self.files, faq=state.faq, tips=library.tips),
                library,
                self.base.matcher if same_faq else self._matcher_for(state.faq),
            )
        self._cached = live
        return live

    async def library(self, session: AsyncSession) -> Library:
        """The library in use (the delivery engine's library provider)."""
        return (await self.now(session)).library
