"""Server: the driver that runs a RaftNode on a Runtime (the Ready loop), callbacks only.

(Over 400 lines: the Ready loop and its two tick drivers, every tick or tickless, share one busy flag.)

Rules:
- The only kvraft code that touches a Runtime. One Ready is in flight at a time: send the messages
  that need nothing durable (``Ready.split_messages``: a leader's AppendEntries go out while its own
  fsync runs), persist its hard state and entries (``disk.write``; ``disk.fsync`` if ``must_sync``),
  then send the rest, apply its committed entries, serve its read states, ``advance``, and pump again.
- Snapshot install and compaction rewrite the disk log atomically with ``disk.replace``.
- Restart rebuilds everything from ``disk.read()``: snapshot, hard state, then the log tail; the
  state machine is restored from the snapshot and re-applies the committed tail.
- Disk records are JSON values (dicts), so a real disk can encode them as they are.
- Trace events (sim/trace.py vocabulary): become-*, vote, hard-state, append, commit, apply,
  snapshot, restore, conf, read-index, drop-msg.
- Ticks: every ``tick_ns``, or (``tickless``) only at the core's next deadline, the boundaries passed
  counted in one ``tick(n)`` before any input; see "tickless timers" below.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from .errors import NotLeader, ProposalDropped
from .raft.config import RaftConfig
from .raft.core import RaftNode
from .raft.entry import ConfChange, Entry, EntryType, Snapshot, digest
from .raft.messages import MESSAGE_TYPES
from .raft.ready import HardState, Ready, Role
from .raft.storage import MemoryStorage
from .runtime import Runtime, Timer

__all__ = ["Role", "Server", "StateMachine", "decode_records"]

RECORD_FORMAT = 1


class StateMachine(Protocol):
    """What a Server applies committed entries to.

    ``apply`` gets normal entries with non-empty data, in index order, exactly once per
    incarnation (no-ops and conf changes are skipped). ``snapshot()`` returns an image of
    everything applied so far; ``restore`` replaces the state with one. A state machine may also
    define ``on_conf_change(voters, learners)`` (a configuration is in force: appended) and
    ``apply_conf_change(index, term, change)`` (a committed change, in log order with ``apply``).
    """

    def apply(self, index: int, term: int, data: bytes) -> None: ...

    def snapshot(self) -> bytes: ...

    def restore(self, data: bytes, index: int, term: int) -> None: ...


_DIGESTS: dict[bytes, str] = {}


def _digest(data: bytes) -> str:
    """``digest(data)``, memoised: every member appends and applies the same entries (a pure function
    of the bytes, so the cache cannot change a run)."""
    if type(data) is not bytes:
        return digest(data)
    d = _DIGESTS.get(data)
    if d is None:
        if len(_DIGESTS) >= 4096:
            _DIGESTS.clear()
        d = _DIGESTS[data] = digest(data)
    return d


def _ent_rec(entries: tuple[Entry, ...] | list[Entry]) -> dict[str, Any]:
    return {"r": "entries", "entries": [[e.index, e.term, e.type.value, e.data.hex()] for e in entries]}


def _hs_rec(hs: HardState) -> dict[str, Any]:
    return {"r": "hard-state", "term": hs.term, "vote": hs.vote, "commit": hs.commit}


def _snap_rec(s: Snapshot) -> dict[str, Any]:
    return {"r": "snapshot", "format": RECORD_FORMAT, "index": s.index, "term": s.term, "voters": list(s.voters),
            "learners": list(s.learners), "data": s.data.hex()}


def decode_records(records: list[Any]) -> tuple[MemoryStorage, int]:
    """Rebuild storage from disk records (in write order); also returns the B20 applied mark."""
    storage = MemoryStorage()
    applied = 0
    for rec in records:
        kind = rec.get("r") if isinstance(rec, dict) else None
        if kind == "snapshot":
            snap = Snapshot(index=rec["index"], term=rec["term"], voters=tuple(rec["voters"]),
                            learners=tuple(rec["learners"]), data=bytes.fromhex(rec["data"]))
            storage.apply_snapshot(snap)
        elif kind == "hard-state":
            storage.set_hard_state(HardState(term=rec["term"], vote=rec["vote"], commit=rec["commit"]))
        elif kind == "entries":
            storage.append([Entry(index=i, term=t, type=EntryType(ty), data=bytes.fromhex(d))
                            for i, t, ty, d in rec["entries"]])
        elif kind == "applied":
            applied = rec["index"]
    return storage, applied


class Server:
    """One kvraft node: a RaftNode driven on a Runtime.

    Call ``start()`` once (it reads the disk, so it is also the restart path). Inputs arrive through
    the runtime (messages, timers) and through ``propose``/``read_index``/``propose_conf_change``/
    ``transfer_leadership``. Non-raft messages go to ``app_handler(src, msg)``. ``on_applied``
    hooks run with the applied index after each batch is applied.

    ``peers`` (unless ``config.voters`` is set) is the bootstrap configuration, etcd's ``--initial-cluster``,
    and must be the same on every start: without a snapshot the core replays its log's conf entries on top
    of it, so today's members would count changes the log does not hold yet (the daemon keeps it in
    meta.json; the simulator's ``MemberHosts`` keeps each node's first).
    """

    def __init__(self, runtime: Runtime, *, peers: list[str], config: RaftConfig, state_machine: StateMachine,
                 rng: random.Random, tick_ns: int = 10_000_000, tickless: bool = False) -> None:
        self.runtime = runtime
        self.config = replace(config, id=config.id or runtime.node_id,
                              voters=config.voters or tuple(sorted(peers)))
        self.config.validate()
        self.state_machine = state_machine
        self.rng = rng
        self.tick_ns = tick_ns
        self.tickless = tickless
        # The simulator's tick timer (ordered at its instant by node, see sim/world.py); else a plain timer.
        self._after_tick: Callable[[int, Callable[[], None]], Timer] = getattr(runtime, "after_tick", runtime.after)
        self._monotonic: Callable[[], int] = runtime.monotonic if tickless else int  # tickless only needs the clock
        self._tick_mono = 0  # tickless: the runtime's monotonic time of the last tick boundary the core counted
        self._timer_due = 0  # tickless: the monotonic time the pending timer fires at
        self._resets_seen = -1  # tickless: the core's deadline_resets when the timer was last armed
        # Optional: a committed configuration change, in log order with apply (etcd records members in its store).
        self._apply_conf: Callable[[int, int, ConfChange], None] | None = getattr(
            state_machine, "apply_conf_change", None)
        self.app_handler: Callable[[str, object], None] | None = None
        self.on_applied: list[Callable[[int], None]] = []
        self.node: RaftNode | None = None
        self._busy = False
        self._timer: Timer | None = None
        self._read_cbs: dict[bytes, Callable[[int], None]] = {}
        self._read_waiting: list[tuple[int, bytes]] = []
        self._applied = 0
        self._snap_index = 0
        self._commit_traced = 0
        self._hs = HardState()
        self._compact_every = self.config.snapshot_entries  # _maybe_compact's first test, inlined
        self._no_vote_on_disk = self.config.bugs.vote_not_persisted
        self._applied_apart = self.config.bugs.applied_index_apart
        self._stale_snapshot = self.config.bugs.stale_snapshot_install
        self._ack_before_fsync = self.config.bugs.ack_before_fsync

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Restore from ``runtime.disk.read()``, register the receiver, start ticking."""
        storage, applied_mark = decode_records(self.runtime.disk.read())
        snap = storage.snapshot()
        applied = snap.index if snap else 0
        if self._applied_apart:
            applied = max(applied, applied_mark)  # Bug B20: trust an applied mark not atomic with state
        self.node = RaftNode(replace(self.config, applied=applied), storage, self.rng)
        self._hs = storage.hard_state()
        self._commit_traced = self.node.commit_index
        if self._hs.term or self._hs.commit:
            # What survived on disk is durable: the invariant checkers need it as the restart's floor.
            self.runtime.trace("hard-state", term=self._hs.term, vote=self._hs.vote, commit=self._hs.commit,
                               synced=True, restored=True)
        if snap is not None:
            self.state_machine.restore(snap.data, snap.index, snap.term)
            self._snap_index = snap.index
        self._applied = self.node.applied_index
        self.runtime.set_receiver(self._receive)
        self._schedule_tick()
        self._pump()

    def stop(self) -> None:
        """Stop ticking (the runtime drops everything else on a crash). Inputs still handled after this count
        no ticks and arm no timer, as with a timer per tick: the tickless driver's catch-up is off too."""
        self.tickless = False
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    # ------------------------------------------------------------------ properties
    @property
    def _n(self) -> RaftNode:
        if self.node is None:
            raise RuntimeError("Server.start() was not called")
        return self.node

    @property
    def node_id(self) -> str:
        return self.config.id

    @property
    def role(self) -> Role:
        return self._n.role

    @property
    def term(self) -> int:
        return self._n.term

    @property
    def leader_id(self) -> str | None:
        return self._n.leader

    @property
    def commit_index(self) -> int:
        return self._n.commit_index

    @property
    def applied_index(self) -> int:
        return self._applied

    @property
    def is_leader(self) -> bool:
        return self._n.is_leader

    @property
    def voters(self) -> tuple[str, ...]:
        return self._n.voters

    @property
    def learners(self) -> tuple[str, ...]:
        return self._n.learners

    # ------------------------------------------------------------------ inputs
    def propose(self, data: bytes) -> bool:
        """Propose ``data``; False if dropped (no leader known). Followers forward to the leader."""
        if self.tickless:
            self._catch_up()
        try:
            self._n.propose(data)
        except (ProposalDropped, NotLeader):
            self._rearm()
            return False
        self._pump()
        self._rearm()
        return True

    def propose_conf_change(self, change: ConfChange) -> bool:
        if self.tickless:
            self._catch_up()
        try:
            self._n.propose_conf_change(change)
        except (ProposalDropped, NotLeader):
            self._rearm()
            return False
        self._pump()
        self._rearm()
        return True

    def read_index(self, ctx: bytes, cb: Callable[[int], None]) -> bool:
        """Ask for a linearizable read point; ``cb(index)`` runs once applied >= index.

        ``ctx`` must be unique. Returns False if no leader is known. If leadership changes before
        the read is confirmed, ``cb`` never runs (the caller times out and retries).
        """
        if self.tickless:
            self._catch_up()
        try:
            self._n.read_index(ctx)
        except (ProposalDropped, NotLeader):
            self._rearm()
            return False
        self._read_cbs[bytes(ctx)] = cb
        self._pump()
        self._rearm()
        return True

    def transfer_leadership(self, to: str) -> bool:
        if self.tickless:
            self._catch_up()
        try:
            self._n.transfer_leadership(to)
        except NotLeader:
            self._rearm()
            return False
        self._pump()
        self._rearm()
        return True

    def _receive(self, src: str, msg: Any) -> None:
        if isinstance(msg, MESSAGE_TYPES):
            node = self.node  # set by start(), which registers this receiver
            assert node is not None
            if self.tickless:
                self._catch_up()
                node.step(msg)
                if not self._busy:
                    self._pump()
                self._rearm()
                return
            node.step(msg)
            if not self._busy:
                self._pump()
        elif self.app_handler is not None:
            self.app_handler(src, msg)

    def _schedule_tick(self) -> None:
        if self.tickless:
            self._tick_mono = self.runtime.monotonic()  # det-ok: the Runtime's clock (virtual in simulation)
            self._timer_due = 0
            self._arm()
            return
        self._timer = self._after_tick(self.tick_ns, self._on_tick)

    def _on_tick(self) -> None:
        node = self._n
        node.tick()
        if not self._busy:
            self._pump()
        self._schedule_tick()

    # ------------------------------------------------------------------ tickless timers
    # The tick-per-tick driver wakes the core every tick_ns. The tickless one keeps the same tick boundaries
    # (start + k x tick_ns on the monotonic clock) but sleeps until the core's next deadline
    # (ticks_until_next) and, before any input, advances the core by the boundaries passed, one at this very
    # instant included (tick(n), exactly n single ticks): the simulator runs tick timers before any other
    # event of their instant (sim/world.py), so the tick-per-tick driver's tick there came first too. Ticks
    # between deadlines only count, so their place among other nodes' events does not matter. Same
    # protocol events, traces included, while the host is neither paused (a paused host holds one tick per
    # pause, the tickless driver counts every boundary passed) nor drifting (a tick per tick_ns rounds the
    # drifted delay once per tick). tests/sim/test_tickless.py compares the two.
    def _catch_up(self) -> None:
        elapsed = self._monotonic() - self._tick_mono
        if elapsed >= self.tick_ns:
            passed = elapsed // self.tick_ns
            self._tick_mono += passed * self.tick_ns
            self._n.tick(passed)
            if not self._busy:
                self._pump()

    def _rearm(self) -> None:
        """After an input: re-arm if the core's next deadline may have moved earlier (``deadline_resets``)."""
        if self.tickless and self.node.deadline_resets != self._resets_seen:  # type: ignore[union-attr]
            self._arm()

    def _arm(self) -> None:
        """Make the pending timer fire no later than the core's next deadline (a later one would fire early:
        it catches up and re-arms)."""
        node = self.node
        self._resets_seen = node.deadline_resets  # type: ignore[union-attr]
        until = node.ticks_until_next()  # type: ignore[union-attr]
        if until is None:
            return
        due = self._tick_mono + until * self.tick_ns
        timer = self._timer
        if timer is not None:
            if self._timer_due <= due:
                return
            timer.cancel()
        self._timer_due = due
        self._timer = self._after_tick(max(0, due - self._monotonic()), self._on_deadline)

    def _on_deadline(self) -> None:
        self._timer = None
        self._catch_up()
        self._arm()

    # ------------------------------------------------------------------ the Ready loop
    def _pump(self) -> None:
        node = self._n
        while not self._busy and node.has_ready():
            rd = node.ready()
            self._busy = True
            hs = rd.current_hard_state
            tr = self.runtime.trace
            if rd.soft_state is not None:
                tr(f"become-{rd.soft_state.role.value}", term=hs.term, leader=rd.soft_state.leader)
            for d in rd.dropped:
                tr("drop-msg", src=d.frm, type=d.type, why=d.why)
            disk = self.runtime.disk
            if rd.snapshot is not None:
                recs = [_snap_rec(rd.snapshot), self._hs_record(hs)]
                if rd.entries:
                    recs.append(_ent_rec(rd.entries))
                disk.replace(recs, lambda rd=rd: self._persisted(rd, hs, rd.messages, inline=False))
                continue
            late = rd.messages
            if rd.must_sync and not self._ack_before_fsync and rd.messages:
                early, late = rd.split_messages(self._hs)
                send = self.runtime.send
                for m in early:
                    send(m.to, m)
            if rd.hard_state is not None:
                disk.write(self._hs_record(hs))
            if rd.entries:
                disk.write(_ent_rec(rd.entries))
            if rd.must_sync and self._ack_before_fsync:
                disk.fsync(lambda: None)  # Bug B12: send, apply and answer before the fsync completes
                self._persisted(rd, hs, late, inline=True)
            elif rd.must_sync:
                disk.fsync(lambda rd=rd, late=late: self._persisted(rd, hs, late, inline=False))
            else:
                self._persisted(rd, hs, late, inline=True)

    def _hs_record(self, hs: HardState) -> dict[str, Any]:
        if self._no_vote_on_disk:
            return _hs_rec(replace(hs, vote=None))  # Bug B01: the vote is never persisted
        return _hs_rec(hs)

    def _persisted(self, rd: Ready, hs: HardState, messages: tuple[Any, ...], *, inline: bool) -> None:
        node = self._n
        if not inline and self.tickless:
            self._catch_up()  # ticks due by this disk completion came first with a timer per tick
        runtime = self.runtime
        tr = runtime.trace
        if rd.hard_state is not None:
            # synced=False: a commit-only change written without fsync (as etcd does); a crash may lose it.
            tr("hard-state", term=hs.term, vote=hs.vote, commit=hs.commit, synced=rd.must_sync)
            if hs.vote is not None and (hs.term, hs.vote) != (self._hs.term, self._hs.vote):
                tr("vote", term=hs.term, vote=hs.vote)
            self._hs = hs
        if rd.snapshot is not None:
            s = rd.snapshot
            self.state_machine.restore(s.data, s.index, s.term)
            # Bug B11: lastApplied follows the (possibly older) snapshot back.
            self._applied = s.index if self._stale_snapshot else max(self._applied, s.index)
            self._snap_index = s.index
            tr("restore", index=s.index, term=s.term)
        if rd.entries:
            tr("append", entries=[[e.index, e.term, _digest(e.data)] for e in rd.entries])
        if rd.conf is not None:
            # Before the commit: a configuration is in force once its entry is in the log (Raft thesis 4.1),
            # so a commit in the same Ready may already have been counted against it.
            tr("conf", index=rd.conf_index, voters=list(rd.conf[0]), learners=list(rd.conf[1]))
            hook = getattr(self.state_machine, "on_conf_change", None)
            if hook is not None:
                hook(rd.conf[0], rd.conf[1])
        if hs.commit > self._commit_traced:
            self._commit_traced = hs.commit
            tr("commit", commit=hs.commit)
        if messages:
            send = runtime.send
            for m in messages:
                send(m.to, m)
        if rd.committed:
            apply = self.state_machine.apply
            normal = EntryType.NORMAL
            for e in rd.committed:
                if e.index <= self._applied:
                    continue
                if e.type is normal and e.data:
                    apply(e.index, e.term, e.data)
                elif e.type is EntryType.CONF_CHANGE and self._apply_conf is not None:
                    self._apply_conf(e.index, e.term, ConfChange.decode(e.data))
                tr("apply", index=e.index, term=e.term, digest=_digest(e.data))
                self._applied = e.index
            if self._applied_apart:
                runtime.disk.write({"r": "applied", "index": self._applied})
        for rs in rd.read_states:
            self._read_waiting.append((rs.index, rs.ctx))
        node.advance(rd)
        if self._read_waiting:
            self._serve_reads()
        if rd.committed or rd.snapshot is not None:
            for hook in list(self.on_applied):
                hook(self._applied)
        if self._applied - self._snap_index >= self._compact_every > 0 and self._maybe_compact():
            if not inline:
                self._rearm()
            return  # stays busy until the atomic replace is durable
        self._busy = False
        if not inline:
            self._pump()
            self._rearm()

    def _serve_reads(self) -> None:
        if not self._read_waiting:
            return
        ready = [(i, c) for i, c in self._read_waiting if i <= self._applied]
        self._read_waiting = [(i, c) for i, c in self._read_waiting if i > self._applied]
        for index, ctx in ready:
            self.runtime.trace("read-index", index=index, ctx=ctx.decode("utf-8", "replace"))
            cb = self._read_cbs.pop(ctx, None)
            if cb is not None:
                cb(index)

    def _maybe_compact(self) -> bool:
        n = self.config.snapshot_entries
        node = self._n
        if n <= 0 or self._applied - self._snap_index < n or node.applied_index != self._applied:
            return False
        snap, tail = node.compact_for_disk(self._applied, self.state_machine.snapshot())
        self._snap_index = snap.index
        recs = [_snap_rec(snap), self._hs_record(self._hs)]
        if tail:
            recs.append(_ent_rec(tail))

        def done() -> None:
            if self.tickless:
                self._catch_up()
            self.runtime.trace("snapshot", index=snap.index, term=snap.term)
            self._busy = False
            self._pump()
            self._rearm()

        self.runtime.disk.replace(recs, done)
        return True
