# Over 400 lines: the step functions of every role share the node's state; splitting by role (as etcd's raft.go should have) is the next step.
"""RaftNode: the sans-IO Raft protocol core (etcd-io/raft's RawNode, in Python).

Rules:
- Pure: no clock, no I/O, no global randomness. Inputs are ``step``, ``tick``, ``propose``,
  ``read_index``, ``campaign``, ``transfer_leadership``, ``propose_conf_change`` and ``compact``;
  the output is ``ready()`` (see ``Ready`` for the contract), acknowledged with ``advance``.
- ``step`` never raises on a peer message: stale or malformed messages are dropped and listed in
  ``Ready.dropped``. Exceptions are for local callers (NotLeader, ProposalDropped, ConfigError)
  and for our own bugs (InvariantViolation).
- Membership changes are single-server changes (dissertation §4.1): a configuration is in force
  as soon as its entry is in the log, and a leader accepts a new change only when the previous
  one has committed.
- The leader counts itself in a quorum only for entries it has made durable (``advance``).
"""

from __future__ import annotations

import random

from ..errors import InvariantViolation, NotLeader, ProposalDropped
from .config import RaftConfig, ReadOnlyOption
from .entry import ConfChange, ConfChangeType, Entry, EntryType, Snapshot
from .log import RaftLog
from .membership import conf_at, sync_progress
from .messages import (MESSAGE_TYPES, AppendEntries, AppendEntriesReply, Heartbeat, HeartbeatReply,
                       InstallSnapshot, InstallSnapshotReply, Message, Propose, ReadIndex, ReadIndexReply,
                       RequestVote, RequestVoteReply, TimeoutNow)
from .progress import Progress, ProgressState
from .readindex import ReadOnly
from .quorum import VoteResult, committed_index, has_quorum, vote_result
from .ready import DroppedMessage, HardState, Ready, ReadState, Role, SoftState
from .storage import LogStorage

__all__ = ["RaftNode"]


class RaftNode:
    """One Raft peer as a pure state machine.

    Args:
        config: validated with ``config.validate()`` (raises ConfigError).
        storage: the durable state to start from (hard state, snapshot, entries); read once.
        rng: the only source of randomness (election timeout jitter).
    """

    def __init__(self, config: RaftConfig, storage: LogStorage, rng: random.Random) -> None:
        config.validate()
        self.config = config
        self.id = config.id
        self.rng = rng
        self.bugs = config.bugs
        self.pre_vote = config.pre_vote and not self.bugs.no_pre_vote_check_quorum
        self.check_quorum = config.check_quorum and not self.bugs.no_pre_vote_check_quorum
        hs = storage.hard_state()
        self.term = hs.term
        self.vote: str | None = hs.vote
        self.log = RaftLog(storage.snapshot(), storage.entries(), hs.commit, config.applied)
        self.voters: tuple[str, ...] = ()
        self.learners: tuple[str, ...] = ()
        self.conf_index = 0
        self.prs: dict[str, Progress] = {}
        self.role = Role.FOLLOWER
        self.leader: str | None = None
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        self.randomized_election_ticks = config.election_ticks
        # Bumped whenever ticks_until_next() may fall by more than the ticks counted since (a timer reset,
        # which draws a new election timeout, or a configuration change): a tickless driver re-reads it then.
        self.deadline_resets = 0
        self.votes: dict[str, bool] = {}
        self._granted_count = 0  # B02 only: counts replies, not voters
        self.msgs: list[Message] = []
        self.read_states: list[ReadState] = []
        self.dropped: list[DroppedMessage] = []
        self.pending_conf_index = 0
        self.lead_transferee: str | None = None
        self.reads = ReadOnly()
        self._recompute_conf()
        self._become_follower(self.term, None)
        self.prev_soft = SoftState(role=Role.FOLLOWER, leader=None)
        self.prev_hard = HardState(term=hs.term, vote=hs.vote, commit=self.log.commit)
        self.prev_conf = (self.voters, self.learners)
        self._conf_reported_index = self.conf_index

    # ------------------------------------------------------------------ introspection
    @property
    def is_leader(self) -> bool:
        return self.role is Role.LEADER

    @property
    def commit_index(self) -> int:
        return self.log.commit

    @property
    def applied_index(self) -> int:
        return self.log.applied

    def hard_state(self) -> HardState:
        return HardState(term=self.term, vote=self.vote, commit=self.log.commit)

    def soft_state(self) -> SoftState:
        return SoftState(role=self.role, leader=self.leader)

    def _promotable(self) -> bool:
        return self.id in self.voters

    # ------------------------------------------------------------------ inputs
    def tick(self, n: int = 1) -> None:
        """Advance logical time by ``n`` ticks (elections, heartbeats, CheckQuorum): exactly ``n`` calls of
        ``tick()``. Ticks before the next deadline (``ticks_until_next``) only count, so a driver may
        sleep until that deadline and advance the counters in one step."""
        while n > 1:
            until = self.ticks_until_next()
            quiet = n - 1 if until is None else min(n, until) - 1
            if quiet > 0:
                self.election_elapsed += quiet
                if self.role is Role.LEADER:
                    self.heartbeat_elapsed += quiet
                n -= quiet
            self._tick1()
            n -= 1
        if n == 1:
            self._tick1()

    def ticks_until_next(self) -> int | None:
        """Ticks until one does more than count: the election timeout of a promotable follower or
        candidate, the heartbeat or CheckQuorum deadline of a leader. None: no tick ever does."""
        if self.role is Role.LEADER:
            return max(1, min(self.config.heartbeat_ticks - self.heartbeat_elapsed,
                              self.config.election_ticks - self.election_elapsed))
        if self._promotable():
            return max(1, self.randomized_election_ticks - self.election_elapsed)
        return None

    def _tick1(self) -> None:
        if self.role is Role.LEADER:
            self._tick_heartbeat()
        else:
            self.election_elapsed += 1
            if self._promotable() and self.election_elapsed >= self.randomized_election_ticks:
                self.election_elapsed = 0
                self._hup(transfer=False)

    def campaign(self) -> None:
        """Start an election now (through PreVote if enabled), as if the election timer fired."""
        self._hup(transfer=False)

    def propose(self, data: bytes) -> None:
        """Propose ``data`` as a normal entry.

        Raises:
            ProposalDropped: no leader is known, or a leadership transfer is in progress.
        A follower with a known leader forwards the proposal as a ``Propose`` message.
        """
        self._propose([Entry(index=0, term=0, type=EntryType.NORMAL, data=bytes(data))])

    def propose_batch(self, datas: list[bytes]) -> None:
        """Propose several normal entries at once (one AppendEntries per follower); raises as ``propose``."""
        self._propose([Entry(index=0, term=0, type=EntryType.NORMAL, data=bytes(d)) for d in datas])

    def propose_conf_change(self, change: ConfChange) -> None:
        """Propose a single-server membership change (in force once appended).

        Raises ProposalDropped if no leader is known or another change has not committed yet.
        """
        self._propose([Entry(index=0, term=0, type=EntryType.CONF_CHANGE, data=change.encode())])

    def read_index(self, ctx: bytes) -> None:
        """Request a linearizable read point; a ``ReadState(index, ctx)`` appears in a later Ready.

        ``ctx`` must be unique among outstanding reads. Raises ProposalDropped with no leader.
        """
        if self.role is Role.LEADER:
            self._leader_read_index(bytes(ctx), self.id)
        elif self.leader is not None:
            self._send(ReadIndex(frm=self.id, to=self.leader, term=self.term, ctx=bytes(ctx)))
        else:
            raise ProposalDropped("no leader known for read index")

    def transfer_leadership(self, to: str) -> None:
        """Hand leadership to ``to`` (§3.10): catch it up, then send TimeoutNow.

        Raises NotLeader on a non-leader. Unknown targets or self are ignored.
        """
        if self.role is not Role.LEADER:
            raise NotLeader(leader_id=self.leader)
        if to == self.id or to not in self.voters or self.lead_transferee == to:
            return
        self.lead_transferee = to
        self.election_elapsed = 0  # the transfer must finish within one election timeout
        if self.prs[to].match == self.log.last_index:
            self._send(TimeoutNow(frm=self.id, to=to, term=self.term))
        else:
            self._send_append(to)

    def compact(self, index: int, data: bytes) -> Snapshot:
        """Record a state-machine snapshot at ``index`` (<= applied) and drop the log up to it.

        The driver calls this when the state machine asks; returns the Snapshot to persist.
        """
        if index <= self.log.snap_index:
            assert self.log.snapshot is not None
            return self.log.snapshot
        if index > self.log.applied:
            raise InvariantViolation(f"compact({index}) beyond applied {self.log.applied}")
        term = self.log.term(index)
        assert term is not None
        voters, learners, _ = self._conf_at(index)
        snap = Snapshot(index=index, term=term, voters=voters, learners=learners, data=bytes(data))
        self.log.compact(snap)
        return snap

    def compact_for_disk(self, index: int, data: bytes) -> tuple[Snapshot, tuple[Entry, ...]]:
        """``compact``, plus the durable entries after the snapshot: what the driver rewrites its disk with
        (snapshot, hard state, then these), so the driver never reads the log itself."""
        snap = self.compact(index, data)
        return snap, tuple(self.log.slice(snap.index + 1, self.log.stabled + 1) or ())

    def step(self, m: Message) -> None:
        """Handle one peer message. Never raises on bad input: it is dropped and reported."""
        if not isinstance(m, MESSAGE_TYPES):
            self._drop_raw(getattr(m, "frm", "?"), type(m).__name__, "not a raft message")
            return
        try:
            self._step(m)
        except InvariantViolation:
            raise
        except (TypeError, ValueError, AttributeError, IndexError, KeyError) as e:
            self._drop(m, f"malformed: {e}")

    # ------------------------------------------------------------------ output
    def has_ready(self) -> bool:
        # Called after every input: cheapest tests first, and soft/hard state and conf compared
        # field by field instead of building SoftState/HardState values to compare.
        if self.msgs or self.read_states or self.dropped:
            return True
        log = self.log
        if log.pending_snapshot is not None or log.stabled < log.last_index:
            return True
        if log.commit > log.applied and log.next_committed():
            return True
        ps, ph, pc = self.prev_soft, self.prev_hard, self.prev_conf
        return (self.role is not ps.role or self.leader != ps.leader or self.term != ph.term
                or self.vote != ph.vote or log.commit != ph.commit
                or self.voters != pc[0] or self.learners != pc[1])

    def ready(self) -> Ready:
        """Take the pending work; the caller must handle it and call ``advance(ready)`` next."""
        ps, ph = self.prev_soft, self.prev_hard
        soft_changed = self.role is not ps.role or self.leader != ps.leader
        hard_changed = self.term != ph.term or self.vote != ph.vote or self.log.commit != ph.commit
        soft = self.soft_state() if soft_changed else ps
        hard = self.hard_state() if hard_changed else ph
        conf = (self.voters, self.learners)
        entries = tuple(self.log.unstable())
        snap = self.log.pending_snapshot
        must_sync = bool(entries) or snap is not None or hard.term != ph.term or hard.vote != ph.vote
        rd = Ready(
            soft_state=soft if soft_changed else None,
            hard_state=hard if hard_changed else None,
            entries=entries,
            snapshot=snap,
            messages=tuple(self.msgs),
            committed=tuple(self.log.next_committed()),
            read_states=tuple(self.read_states),
            must_sync=must_sync,
            conf=conf if conf != self.prev_conf else None,
            conf_index=self.conf_index,
            dropped=tuple(self.dropped),
            current_hard_state=hard,
        )
        self.msgs, self.read_states, self.dropped = [], [], []
        self.prev_soft, self.prev_hard, self.prev_conf = soft, hard, conf
        return rd

    def advance(self, rd: Ready) -> None:
        """Acknowledge that ``rd`` was persisted, sent and applied."""
        if rd.snapshot is not None:
            if self.log.pending_snapshot is rd.snapshot:
                self.log.pending_snapshot = None
            self.log.applied = max(self.log.applied, rd.snapshot.index)
        if rd.entries:
            last = rd.entries[-1]
            self.log.stable_to(last.index, last.term)
        if rd.committed:
            self.log.applied_to(rd.committed[-1].index)
        if self.role is Role.LEADER and self.id in self.prs:
            pr = self.prs[self.id]
            if self.log.stabled > pr.match:
                pr.match = self.log.stabled
                pr.next = pr.match + 1
                if self._maybe_commit():
                    self._bcast_append()

    # ------------------------------------------------------------------ role changes
    def _reset(self, term: int) -> None:
        self.deadline_resets += 1
        if self.term != term:
            self.term = term
            self.vote = None
        self.leader = None
        self.election_elapsed = 0
        self.heartbeat_elapsed = 0
        if self.bugs.election_timer_resets:
            self.randomized_election_ticks = self.config.election_ticks
        elif self.config.election_ticks_max is None:
            self.randomized_election_ticks = self.config.election_ticks + self.rng.randrange(self.config.election_ticks)
        else:  # §9.3, Figure 16: the timeout range is a knob
            span = self.config.election_ticks_max - self.config.election_ticks + 1
            self.randomized_election_ticks = self.config.election_ticks + self.rng.randrange(span)
        self.votes = {}
        self._granted_count = 0
        self.lead_transferee = None
        self.reads = ReadOnly()

    def _become_follower(self, term: int, leader: str | None) -> None:
        self._reset(term)
        self.role = Role.FOLLOWER
        self.leader = leader

    def _become_pre_candidate(self) -> None:
        # PreVote (§9.6): no term change, no vote; just ask whether we could win.
        self.role = Role.PRE_CANDIDATE
        self.leader = None
        self.votes = {}
        self._granted_count = 0
        self.lead_transferee = None

    def _become_candidate(self) -> None:
        self._reset(self.term + 1)
        self.role = Role.CANDIDATE
        self.vote = self.id

    def _become_leader(self) -> None:
        self._reset(self.term)
        self.role = Role.LEADER
        self.leader = self.id
        self.prs = {}
        self._sync_progress()
        self.prs[self.id].match = self.log.stabled
        # Conservatively treat any uncommitted entry as a pending conf change (etcd does the same).
        self.pending_conf_index = self.log.last_index
        # §8: a no-op of the new term lets the leader learn its commit index (and serve reads).
        self._leader_append([Entry(index=0, term=0, type=EntryType.NOOP)])

    def _hup(self, *, transfer: bool) -> None:
        if self.role is Role.LEADER or not self._promotable():
            return
        if self.pre_vote and not transfer:
            self._become_pre_candidate()
            self._request_votes(pre_vote=True, transfer=False)
        else:
            self._campaign(transfer)

    def _campaign(self, transfer: bool) -> None:
        self._become_candidate()
        self._request_votes(pre_vote=False, transfer=transfer)

    def _request_votes(self, *, pre_vote: bool, transfer: bool) -> None:
        term = self.term + 1 if pre_vote else self.term
        if self._poll(self.id, True) is VoteResult.WON:
            self._won(pre_vote)
            return
        for v in self.voters:
            if v != self.id:
                self._send(RequestVote(frm=self.id, to=v, term=term, last_log_index=self.log.last_index,
                                       last_log_term=self.log.last_term, pre_vote=pre_vote, transfer=transfer))

    def _poll(self, frm: str, granted: bool) -> VoteResult:
        if self.bugs.vote_replies_counted:
            # Bug B02: count replies instead of voters (duplicates and stale replies add up).
            if granted:
                self._granted_count += 1
            self.votes.setdefault(frm, granted)
            if self._granted_count >= len(self.voters) // 2 + 1:
                return VoteResult.WON
            return vote_result(self.voters, self.votes) if vote_result(self.voters, self.votes) is VoteResult.LOST \
                else VoteResult.PENDING
        self.votes.setdefault(frm, granted)  # one vote per voter, the first answer counts
        return vote_result(self.voters, self.votes)

    def _won(self, pre_vote: bool) -> None:
        if pre_vote:
            self._campaign(False)
        else:
            self._become_leader()

    # ------------------------------------------------------------------ step
    def _step(self, m: Message) -> None:
        if m.to != self.id:
            self._drop(m, f"addressed to {m.to}")
            return
        if isinstance(m, Propose):
            self._step_propose(m)
            return
        if m.term > self.term:
            if isinstance(m, RequestVote) and not m.transfer and self.check_quorum and self.leader is not None \
                    and self.election_elapsed < self.config.election_ticks:
                # §4.2.3: a node that heard from a leader recently ignores disruptive votes.
                self._drop(m, "in lease: leader heard from recently")
                return
            if isinstance(m, RequestVote) and m.pre_vote:
                pass  # a PreVote never changes our term
            elif isinstance(m, RequestVoteReply) and m.pre_vote and m.granted:
                pass  # granted PreVote replies carry the future term we asked about
            else:
                leader = m.frm if isinstance(m, (AppendEntries, Heartbeat, InstallSnapshot)) else None
                self._become_follower(m.term, leader)
        elif m.term < self.term:
            if isinstance(m, (AppendEntries, Heartbeat)) and (self.check_quorum or self.pre_vote):
                # A stale leader cut off by PreVote/CheckQuorum would never learn of the new term:
                # tell it (etcd does the same), so it steps down.
                self._send(AppendEntriesReply(frm=self.id, to=m.frm, term=self.term, index=0))
                self._drop(m, f"stale term {m.term} < {self.term}")
                return
            if isinstance(m, RequestVote) and m.pre_vote:
                self._send(RequestVoteReply(frm=self.id, to=m.frm, term=self.term, granted=False, pre_vote=True))
                return
            if self.bugs.vote_replies_counted and isinstance(m, RequestVoteReply) and self.role is Role.CANDIDATE \
                    and not m.pre_vote:
                pass  # Bug B02: stale vote replies are counted
            else:
                if self.bugs.election_timer_resets and isinstance(m, AppendEntries):
                    self.election_elapsed = 0  # Bug B13: stale AppendEntries resets the timer
                self._drop(m, f"stale term {m.term} < {self.term}")
                return
        if isinstance(m, RequestVote):
            self._handle_vote_request(m)
            return
        match self.role:
            case Role.LEADER:
                self._step_leader(m)
            case Role.CANDIDATE | Role.PRE_CANDIDATE:
                self._step_candidate(m)
            case Role.FOLLOWER:
                self._step_follower(m)

    def _handle_vote_request(self, m: RequestVote) -> None:
        can_vote = (self.vote == m.frm or (self.vote is None and self.leader is None)
                    or (m.pre_vote and m.term > self.term))
        if self.bugs.vote_by_log_length:
            up_to_date = m.last_log_index >= self.log.last_index  # Bug B04: compares lengths only
        else:
            up_to_date = self.log.is_up_to_date(m.last_log_index, m.last_log_term)  # §5.4.1
        if can_vote and up_to_date:
            self._send(RequestVoteReply(frm=self.id, to=m.frm, term=m.term, granted=True, pre_vote=m.pre_vote))
            if not m.pre_vote:
                self.election_elapsed = 0
                self.vote = m.frm
        else:
            self._send(RequestVoteReply(frm=self.id, to=m.frm, term=self.term, granted=False, pre_vote=m.pre_vote))
            if self.bugs.election_timer_resets:
                self.election_elapsed = 0  # Bug B13: timer reset even when refusing

    def _step_propose(self, m: Propose) -> None:
        if self.role is Role.LEADER:
            if self.lead_transferee is not None:
                self._drop(m, "leadership transfer in progress")
                return
            try:
                self._leader_append([Entry(index=0, term=0, type=e.type, data=e.data) for e in m.entries])
            except ProposalDropped as e:
                self._drop(m, str(e))
        elif self.leader is not None and self.leader != m.frm:
            self._send(Propose(frm=self.id, to=self.leader, term=self.term, entries=m.entries))
        else:
            self._drop(m, "no leader to forward to")

    def _step_leader(self, m: Message) -> None:
        match m:
            case AppendEntriesReply():
                self._handle_append_reply(m)
            case HeartbeatReply():
                pr = self.prs.get(m.frm)
                if pr is None:
                    self._drop(m, "unknown peer")
                    return
                pr.recent_active = True
                pr.probe_sent = False
                if pr.match < self.log.last_index:
                    self._send_append(m.frm)
                if m.ctx:
                    for ctx, frm, index in self.reads.ack(m.ctx, m.frm, self.voters):
                        self._respond_read(ctx, frm, index)
            case InstallSnapshotReply():
                pr = self.prs.get(m.frm)
                if pr is None:
                    self._drop(m, "unknown peer")
                    return
                pr.recent_active = True
                pr.maybe_update(min(m.index, self.log.last_index))
                if pr.state is ProgressState.SNAPSHOT:
                    pr.become_probe()
                self._send_append(m.frm)
            case ReadIndex():
                self._leader_read_index(m.ctx, m.frm)
            case _:
                self._drop(m, "not expected by a leader")

    def _step_candidate(self, m: Message) -> None:
        match m:
            case AppendEntries() | Heartbeat() | InstallSnapshot():
                self._become_follower(m.term, m.frm)  # §5.2: another server won this term
                self._step_follower(m)
            case RequestVoteReply():
                if m.pre_vote != (self.role is Role.PRE_CANDIDATE):
                    self._drop(m, "reply to another round")
                    return
                res = self._poll(m.frm, m.granted)
                if res is VoteResult.WON:
                    self._won(m.pre_vote)
                elif res is VoteResult.LOST:
                    self._become_follower(self.term, None)
            case _:
                self._drop(m, f"not expected by a {self.role.value}")

    def _step_follower(self, m: Message) -> None:
        match m:
            case AppendEntries():
                self.election_elapsed = 0
                self.leader = m.frm
                self._handle_append(m)
            case Heartbeat():
                self.election_elapsed = 0
                self.leader = m.frm
                self.log.commit_to(m.commit)
                self._send(HeartbeatReply(frm=self.id, to=m.frm, term=self.term, ctx=m.ctx))
            case InstallSnapshot():
                self.election_elapsed = 0
                self.leader = m.frm
                self._handle_snapshot(m)
            case TimeoutNow():
                if self._promotable():
                    self._hup(transfer=True)
                else:
                    self._drop(m, "not a voter")
            case ReadIndexReply():
                self.read_states.append(ReadState(index=m.index, ctx=m.ctx))
            case _:
                self._drop(m, "not expected by a follower")

    # ------------------------------------------------------------------ follower side of replication
    def _handle_append(self, m: AppendEntries) -> None:
        ents = m.entries
        for k, e in enumerate(ents):
            if e.index != m.prev_log_index + 1 + k or e.term > m.term or (k and e.term < ents[k - 1].term):
                self._drop(m, "malformed entries")
                return
        if m.prev_log_index < self.log.commit:
            # Already committed here; anything we hold up to commit matches the leader (§5.4).
            self._send(AppendEntriesReply(frm=self.id, to=m.frm, term=self.term, index=self.log.commit))
            return
        if not self.log.match_term(m.prev_log_index, m.prev_log_term):
            hint = self.log.find_conflict_by_term(min(m.prev_log_index, self.log.last_index), m.prev_log_term)
            self._send(AppendEntriesReply(frm=self.id, to=m.frm, term=self.term, index=m.prev_log_index,
                                          reject=True, hint_index=hint, hint_term=self.log.term(hint) or 0))
            return
        new_last = m.prev_log_index + len(ents)
        if self.bugs.truncate_every_append:
            # Bug B05: truncate at prev+1 on every AppendEntries, not only on conflict.
            start = max(m.prev_log_index + 1, self.log.commit + 1)
            keep = [e for e in ents if e.index >= start]
            if start <= self.log.last_index or keep:
                del self.log.entries[start - self.log.snap_index - 1:]
                self.log.stabled = min(self.log.stabled, start - 1)
                if keep:
                    self.log.entries.extend(keep)
                self._recompute_conf()
        else:
            ci = self.log.find_conflict(ents)
            if ci:
                if ci <= self.log.commit and not self.bugs:
                    raise InvariantViolation(f"{self.id}: conflict at {ci} <= commit {self.log.commit}")
                self._append_log(ents[ci - ents[0].index:])
        if self.bugs.follower_commit_unbounded:
            self.log.commit_to(m.commit)  # Bug B06: no min with the last new entry
        else:
            self.log.commit_to(min(m.commit, new_last))  # Figure 2, AppendEntries step 5
        self._send(AppendEntriesReply(frm=self.id, to=m.frm, term=self.term, index=new_last))

    def _handle_snapshot(self, m: InstallSnapshot) -> None:
        s = m.snapshot
        if self.bugs.stale_snapshot_install and s.index < self.log.commit:
            # Bug B11: a stale (delayed, duplicated) snapshot older than our commit is installed anyway.
            self.log.restore(s)
            self.log.applied = s.index  # the state machine rolls back to the snapshot
            self._recompute_conf()
            self._send(InstallSnapshotReply(frm=self.id, to=m.frm, term=self.term, index=s.index))
            return
        if s.index <= self.log.commit:
            self._send(InstallSnapshotReply(frm=self.id, to=m.frm, term=self.term, index=self.log.commit))
            return
        if self.log.match_term(s.index, s.term):
            self.log.commit_to(s.index)  # we already hold it: fast-forward commit
        else:
            self.log.restore(s)
            self._recompute_conf()
        self._send(InstallSnapshotReply(frm=self.id, to=m.frm, term=self.term, index=s.index))

    # ------------------------------------------------------------------ leader side of replication
    def _propose(self, entries: list[Entry]) -> None:
        if self.role is Role.LEADER:
            if self.lead_transferee is not None:
                raise ProposalDropped(f"leadership transfer to {self.lead_transferee} in progress")
            self._leader_append(entries)
        elif self.leader is None:
            raise ProposalDropped("no leader known")
        else:
            self._send(Propose(frm=self.id, to=self.leader, term=self.term, entries=tuple(entries)))

    def _leader_append(self, entries: list[Entry]) -> None:
        last = self.log.last_index
        out: list[Entry] = []
        for k, e in enumerate(entries):
            if e.type is EntryType.CONF_CHANGE:
                if self.pending_conf_index > self.log.commit and not self.bugs.unsafe_membership:
                    raise ProposalDropped("a membership change is still uncommitted")
                cc = ConfChange.decode(e.data)
                if cc.type is ConfChangeType.REMOVE_NODE and cc.node_id not in self.voters + self.learners:
                    raise ProposalDropped(f"{cc.node_id} is not a member")
                self.pending_conf_index = last + 1 + k
            out.append(Entry(index=last + 1 + k, term=self.term, type=e.type, data=e.data))
        self._append_log(out)
        self._bcast_append()

    def _bcast_append(self) -> None:
        for p in sorted(self.prs):
            if p != self.id:
                self._send_append(p)

    def _send_append(self, to: str, send_if_empty: bool = True) -> bool:
        pr = self.prs[to]
        if pr.is_paused():
            return False
        prev = pr.next - 1
        prev_term = self.log.term(prev)
        ents = self.log.slice(pr.next, self.log.last_index + 1, self.config.max_size_per_msg) \
            if prev_term is not None else None
        if prev_term is None or ents is None:
            return self._send_snapshot(to)
        if not ents and not send_if_empty:
            return False
        self._send(AppendEntries(frm=self.id, to=to, term=self.term, prev_log_index=prev, prev_log_term=prev_term,
                                 entries=tuple(ents), commit=self.log.commit))
        pr.sent_entries(ents[-1].index if ents else prev, len(ents))
        return True

    def _send_snapshot(self, to: str) -> bool:
        snap = self.log.snapshot
        if snap is None:
            raise InvariantViolation(f"{self.id}: need a snapshot for {to} but have none")
        self._send(InstallSnapshot(frm=self.id, to=to, term=self.term, snapshot=snap))
        self.prs[to].become_snapshot(snap.index)
        return True

    def _handle_append_reply(self, m: AppendEntriesReply) -> None:
        pr = self.prs.get(m.frm)
        if pr is None:
            self._drop(m, "unknown peer")
            return
        pr.recent_active = True
        if m.reject:
            next_probe = m.hint_index
            if m.hint_term > 0:
                next_probe = self.log.find_conflict_by_term(m.hint_index, m.hint_term)
            if pr.maybe_decr_to(m.index, next_probe):
                if pr.state is ProgressState.REPLICATE:
                    pr.become_probe()
                self._send_append(m.frm)
            return
        was_paused = pr.is_paused()
        index = self.log.last_index if self.bugs.match_from_own_log else m.index  # Bug B15: match from our own log
        if not pr.maybe_update(min(index, self.log.last_index)):
            if pr.state is ProgressState.REPLICATE:
                pr.free_inflights_to(m.index)
            return
        if pr.state is ProgressState.PROBE:
            pr.become_replicate()
        elif pr.state is ProgressState.SNAPSHOT and pr.match >= pr.pending_snapshot:
            pr.become_probe()
            pr.become_replicate()
        else:
            pr.free_inflights_to(m.index)
        if self._maybe_commit():
            self._bcast_append()
        elif was_paused:
            self._send_append(m.frm)
        while self._send_append(m.frm, send_if_empty=False):
            pass
        if m.frm == self.lead_transferee and pr.match == self.log.last_index:
            self._send(TimeoutNow(frm=self.id, to=m.frm, term=self.term))

    def _maybe_commit(self) -> bool:
        mci = committed_index(self.voters, {v: self.prs[v].match for v in self.voters if v in self.prs})
        if mci <= self.log.commit:
            return False
        # §5.4.2 (Figure 8): only an entry of the current term is committed by counting replicas.
        if self.log.term(mci) != self.term and not self.bugs.old_term_commit_by_count:
            return False
        self.log.commit_to(mci)
        self._after_commit()
        return True

    # ------------------------------------------------------------------ membership (membership.py rules)
    def _append_log(self, entries: list[Entry]) -> None:
        if not entries:
            return
        truncates_conf = self.conf_index >= entries[0].index
        self.log.append(entries)
        if truncates_conf or any(e.type is EntryType.CONF_CHANGE for e in entries):
            self._recompute_conf()

    def _conf_at(self, index: int) -> tuple[tuple[str, ...], tuple[str, ...], int]:
        return conf_at(self.log.snapshot, (self.config.voters, self.config.learners), self.log.entries, index)

    def _recompute_conf(self) -> None:
        self.deadline_resets += 1
        self.voters, self.learners, self.conf_index = self._conf_at(self.log.last_index)
        if self.role is Role.LEADER:
            self._sync_progress()

    def _sync_progress(self) -> None:
        sync_progress(self.prs, self.voters, self.learners, self.id, self.log.last_index, self.config.max_inflight_msgs)

    # ------------------------------------------------------------------ ReadIndex (readindex.py rules)
    def _leader_read_index(self, ctx: bytes, frm: str) -> None:
        if self.log.term(self.log.commit) != self.term and not self.bugs.read_before_term_commit:
            self.reads.waiting.append((ctx, frm))  # wait for the no-op of this term to commit
            return
        self._serve_read(ctx, frm)

    def _serve_read(self, ctx: bytes, frm: str) -> None:
        if self.voters == (self.id,) or self.config.read_only is ReadOnlyOption.LEASE:
            self._respond_read(ctx, frm, self.log.commit)
        elif self.reads.add(ctx, frm, self.log.commit, self.id):
            self._bcast_heartbeat(ctx)

    def _respond_read(self, ctx: bytes, frm: str, index: int) -> None:
        if frm == self.id:
            self.read_states.append(ReadState(index=index, ctx=ctx))
        else:
            self._send(ReadIndexReply(frm=self.id, to=frm, term=self.term, ctx=ctx, index=index))

    def _after_commit(self) -> None:
        if self.log.term(self.log.commit) == self.term and self.reads.waiting:
            for ctx, frm in self.reads.take_waiting():
                self._serve_read(ctx, frm)
        if self.id not in self.voters and self.conf_index <= self.log.commit and not self.bugs.unsafe_membership:
            self._become_follower(self.term, None)  # dissertation §4.2.2: removed leader steps down

    def _tick_heartbeat(self) -> None:
        self.heartbeat_elapsed += 1
        self.election_elapsed += 1
        if self.election_elapsed >= self.config.election_ticks:
            self.election_elapsed = 0
            if self.check_quorum:
                active = [p for p in sorted(self.prs) if p == self.id or self.prs[p].recent_active]
                for p in self.prs.values():
                    p.recent_active = False
                if not has_quorum(self.voters, active):
                    self._become_follower(self.term, None)  # §6.2: no quorum heard in an election timeout
                    return
            self.lead_transferee = None  # abort a transfer that did not finish in time
        if self.heartbeat_elapsed >= self.config.heartbeat_ticks:
            self.heartbeat_elapsed = 0
            self._bcast_heartbeat(self.reads.last_ctx())

    def _bcast_heartbeat(self, ctx: bytes) -> None:
        for p in sorted(self.prs):
            if p != self.id:
                pr = self.prs[p]
                # etcd: min(match, commit), since a heartbeat has no prev check to bound the follower's
                # commit. Bug B06 (empty-AppendEntries variant): send the leader's commit as is.
                commit = self.log.commit if self.bugs.follower_commit_unbounded else min(pr.match, self.log.commit)
                self._send(Heartbeat(frm=self.id, to=p, term=self.term, commit=commit, ctx=ctx))

    # ------------------------------------------------------------------ helpers
    def _send(self, m: Message) -> None:
        self.msgs.append(m)

    def _drop(self, m: Message, why: str) -> None:
        self._drop_raw(m.frm, type(m).__name__, why)

    def _drop_raw(self, frm: str, typ: str, why: str) -> None:
        self.dropped.append(DroppedMessage(frm=str(frm), type=typ, why=why))
