"""Bug switches as a typed set of named flags: ``Bugs(stale_local_reads=True)``.

Rules:
- Every flag is off by default (the correct protocol); each says in its name what goes wrong, and the
  comment names the layer that tests it: raft (kvraft/raft/), driver (kvraft/server.py), kv (kvraft/member.py).
- kvraft knows only the flags; the bug zoo's ids ("B07") and their mapping live in scenarios/bugs.py.
- ``RaftConfig.bugs`` holds only raft and driver flags (``raft_part``): the core's "any bug on" test then
  means a Raft bug, as before.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

__all__ = ["Bugs", "KV_FLAGS"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Bugs:
    """Which bug switches are on (none by default)."""

    vote_not_persisted: bool = False          # driver: the hard state is written with no vote
    vote_replies_counted: bool = False        # raft: replies counted, not voters (duplicates add up)
    old_term_commit_by_count: bool = False    # raft: a previous-term entry committed by counting (Figure 8)
    vote_by_log_length: bool = False          # raft: the up-to-date check compares lengths only
    truncate_every_append: bool = False       # raft: followers truncate at prev+1 on every AppendEntries
    follower_commit_unbounded: bool = False   # raft: follower commit = leaderCommit, no min with last new
    stale_local_reads: bool = False           # kv: the leader serves quorum reads locally (no ReadIndex)
    read_before_term_commit: bool = False     # raft: ReadIndex served before the leader commits in its term
    lease_reads: bool = False                 # kv: quorum reads trust the leader lease (clocks bounded)
    no_client_dedup: bool = False             # kv: a retried write applies twice
    stale_snapshot_install: bool = False      # raft + driver: a snapshot older than commit is installed
    ack_before_fsync: bool = False            # driver: send, apply and answer before the fsync completes
    election_timer_resets: bool = False       # raft: timer reset on every RequestVote / stale append, no jitter
    no_pre_vote_check_quorum: bool = False    # raft: PreVote and CheckQuorum off whatever the config says
    match_from_own_log: bool = False          # raft: matchIndex from the leader's log, not the reply
    lock_by_own_clock: bool = False           # kv: a lock granted when the lease looks over on own clock
    ttl_by_wall_clock: bool = False           # kv: TTL expiry by the leader's wall clock (etcd v2 SYNC)
    unsafe_membership: bool = False           # raft: several changes in flight, config used before commit
    watch_replays_early: bool = False         # kv: a lagging member resumes a watch before waitIndex
    applied_index_apart: bool = False         # driver: applied index persisted apart from the state

    def __bool__(self) -> bool:
        return any(self.on())

    def on(self) -> tuple[str, ...]:
        """The names of the flags that are on, in declaration order."""
        return tuple(f.name for f in fields(self) if getattr(self, f.name))

    def __or__(self, other: "Bugs") -> "Bugs":
        return replace(self, **dict.fromkeys(other.on(), True))

    @classmethod
    def from_names(cls, text: str) -> "Bugs":
        """``"stale_local_reads,ack_before_fsync"`` -> Bugs; ValueError naming the first unknown flag."""
        names = [n.strip() for n in text.split(",") if n.strip()]
        known = {f.name for f in fields(cls)}
        for n in names:
            if n not in known:
                raise ValueError(f"{n!r} is not a bug switch (one of {', '.join(sorted(known))})")
        return cls(**dict.fromkeys(names, True))

    def raft_part(self) -> "Bugs":
        """These flags with the kv layer's turned off (what RaftConfig.bugs holds)."""
        return replace(self, **dict.fromkeys(KV_FLAGS, False))


KV_FLAGS = frozenset({"stale_local_reads", "lease_reads", "no_client_dedup", "lock_by_own_clock", "ttl_by_wall_clock",
                      "watch_replays_early"})
