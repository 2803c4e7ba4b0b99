"""Replicas that know each other through the database and split the deployment's rate.

Two `Replicas` on one database, each with its own pacer and a clock the test moves: what
each one paces at as the other joins, beats, leaves or dies. The two real processes sharing
a send time are in tests/e2e/processes/test_rate_shared.py.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from sqlalchemy import insert, select

from bot.db.engine import Database
from bot.db.models import Replica
from bot.delivery.engine import claim_size
from bot.outbound.pacing import Pacer
from bot.runtime.replicas import FORGET, Replicas

pytestmark = pytest.mark.dialect

RATE = 28.0
T0 = dt.datetime(2026, 12, 3, 8, 0, tzinfo=dt.UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> dt.datetime:
        return self.at

    def move(self, seconds: float) -> None:
        self.at += dt.timedelta(seconds=seconds)


def replica(db: Database, name: str, clock: Clock) -> tuple[Replicas, Pacer]:
    pacer = Pacer(RATE)
    return Replicas(db, name, RATE, pacer, clock.now, interval=5.0), pacer


async def test_a_replica_alone_keeps_the_whole_rate_and_does_not_wait(db: Database) -> None:
    clock = Clock()
    a, pacer = replica(db, "a", clock)
    await a.start()
    assert (a.live, pacer.rate, a.joining, pacer.paused_for()) == (1, RATE, False, 0.0)
    async with db.session() as session:
        rows = (await session.execute(select(Replica.id, Replica.last_seen))).all()
    assert [(r[0], r[1]) for r in rows] == [("a", T0)]


async def test_two_replicas_split_the_rate_and_the_newcomer_holds_until_seen(
    db: Database,
) -> None:
    clock = Clock()
    a, pacer_a = replica(db, "a", clock)
    b, pacer_b = replica(db, "b", clock)
    await a.beat()
    clock.move(1)
    await b.beat()
    # b knows of a, but a paces at 28/s until its next beat: b sends nothing meanwhile.
    assert (b.live, pacer_b.rate, b.joining) == (2, RATE / 2, True)
    assert pacer_b.paused_for() > 0
    assert pacer_a.rate == RATE
    clock.move(4)
    await a.beat()
    assert (a.live, pacer_a.rate) == (2, RATE / 2)
    clock.move(0.25)
    await b.beat()
    assert b.joining is False  # a has beaten (and read b) since b joined
    assert pacer_a.rate + pacer_b.rate == RATE


async def test_a_dead_replicas_share_returns_after_the_timeout(db: Database) -> None:
    clock = Clock()
    a, pacer_a = replica(db, "a", clock)
    b, _ = replica(db, "b", clock)
    await a.beat()
    await b.beat()
    await a.beat()
    assert pacer_a.rate == RATE / 2
    # b is killed: a keeps beating; b stops counting once unseen for three heartbeats.
    for _ in range(3):
        clock.move(5)
        await a.beat()
        assert pacer_a.rate == RATE / 2
    clock.move(0.5)
    await a.beat()
    assert (a.live, pacer_a.rate) == (1, RATE)


async def test_a_replica_that_stops_hands_its_share_back_at_the_next_beat(db: Database) -> None:
    clock = Clock()
    a, pacer_a = replica(db, "a", clock)
    b, _ = replica(db, "b", clock)
    await a.beat()
    await b.beat()
    await a.beat()
    assert pacer_a.rate == RATE / 2
    await b.leave()
    clock.move(5)
    await a.beat()
    assert pacer_a.rate == RATE


async def test_two_replicas_starting_together_never_both_take_the_whole_rate(
    db: Database,
) -> None:
    """Each commits its row before reading, so whichever reads second sees the first."""
    clock = Clock()
    a, pacer_a = replica(db, "a", clock)
    b, pacer_b = replica(db, "b", clock)
    await asyncio.gather(a.beat(), b.beat())
    full = [r for r, p in ((a, pacer_a), (b, pacer_b)) if p.rate == RATE and not r.joining]
    assert len(full) <= 1


async def test_rows_unseen_for_an_hour_are_deleted(db: Database) -> None:
    clock = Clock()
    async with db.session() as session, session.begin():
        await session.execute(
            insert(Replica),
            [
                {"id": "gone", "started": T0, "last_seen": T0 - FORGET - dt.timedelta(1)},
                {"id": "recent", "started": T0, "last_seen": T0 - dt.timedelta(minutes=5)},
            ],
        )
    a, pacer = replica(db, "a", clock)
    await a.start()
    async with db.session() as session:
        ids = set(await session.scalars(select(Replica.id)))
    assert ids == {"a", "recent"}
    assert pacer.rate == RATE  # "recent" is kept but not live


def test_a_claim_is_a_quarter_lease_of_the_replicas_share() -> None:
    assert claim_size(28, 30) == 210
    assert claim_size(14, 30) == 105
    assert claim_size(1000, 30) == 1000
    assert claim_size(1, 4) == 10


async def test_a_lower_rate_takes_effect_at_once() -> None:
    """After set_rate(50), six grants span at least five fiftieths of a second less the new
    bucket's slack (a quarter token): at 400/s they would have taken 12.5 ms."""
    pacer = Pacer(400.0)
    loop = asyncio.get_running_loop()
    pacer.set_rate(50.0)
    times = []
    for chat in range(6):
        await pacer.acquire(chat)
        times.append(loop.time())
    assert pacer.burst == 1.25
    assert times[-1] - times[0] >= (5 - 0.25) / 50 - 0.002
    pacer.close()


async def test_a_hold_delays_sends_without_counting_as_a_429() -> None:
    pacer = Pacer(200.0)
    loop = asyncio.get_running_loop()
    pacer.hold(0.1)
    start = loop.time()
    await pacer.acquire(1)
    assert loop.time() - start >= 0.1 - 0.002
    pacer.close()


async def test_requests_held_up_after_their_grant_still_leave_within_the_one_second_cap() -> None:
    """Granted at 5/s, then held up (a slow ledger write) until they all leave at once: no
    more than five go on the wire in any second (each answered as soon as it left)."""
    pacer = Pacer(5.0)
    loop = asyncio.get_running_loop()
    for chat in range(6):
        await pacer.acquire(chat)
    start = loop.time()
    left = []
    for _ in range(6):
        await pacer.leaving()
        pacer.answered()
        left.append(loop.time())
    assert all(t - start < 0.05 for t in left[:5])
    assert left[5] - left[0] >= 1.0 - 0.002
    pacer.close()
