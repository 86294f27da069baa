"""RaftNode, rule by rule (a fourth table, after test_core_rules.py .. test_core_rules_3.py): the hint a follower
puts in its reject of an AppendEntries (bench/mutation.py --module kvraft/raft/core.py)."""

from __future__ import annotations

import pytest

from kvraft.raft import AppendEntries, AppendEntriesReply, Entry
from tests.raft.test_core_rules import drain, node, storage_with


@pytest.mark.parametrize(("terms", "prev", "prev_term", "hint"), [
    # etcd's fast back-up: the largest index <= min(prev, last) whose term is <= prev_term, and that term
    ((1, 2), 5, 3, (2, 2)),  # prev past our end: the search starts at our last entry
    ((1, 1, 1), 2, 2, (2, 1)),  # prev inside our log: it starts at prev; the entry above prev says nothing of it
    ((1, 1, 1, 1), 2, 2, (2, 1)),  # the same with more above prev
    ((1, 2, 2, 3), 3, 1, (1, 1)),  # our terms above prev_term at and below prev are skipped
    ((2, 2), 2, 1, (0, 0)),  # every entry we hold is of a later term: back to the start, term 0
])
def test_a_followers_reject_hints_where_its_log_may_match(terms: tuple[int, ...], prev: int, prev_term: int,
                                                           hint: tuple[int, int]) -> None:
    ents = [Entry(index=i, term=t) for i, t in enumerate(terms, 1)]
    n = node(storage=storage_with(term=3, entries=ents))  # nothing committed: any prev is checked
    n.step(AppendEntries(frm="n2", to="n1", term=3, prev_log_index=prev, prev_log_term=prev_term))
    [r] = [m for m in drain(n) if isinstance(m, AppendEntriesReply)]
    assert (r.reject, r.index, (r.hint_index, r.hint_term)) == (True, prev, hint)
    assert n.log.last_index == len(terms)  # a reject changes nothing of our log
