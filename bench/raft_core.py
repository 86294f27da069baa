"""Benchmark of the sans-IO Raft core: a 3-node cluster driven in memory (no simpy, no Server).

Prints committed entries per CPU-second and messages per committed entry, proposing one entry
per round trip (unbatched) and 100 entries per round (batched).

    python bench/raft_core.py [--entries N]
"""

from __future__ import annotations

import argparse
import random
import time

from kvraft.raft import MemoryStorage, RaftConfig, RaftNode


class Cluster:
    def __init__(self, n: int = 3) -> None:
        ids = tuple(f"n{i}" for i in range(1, n + 1))
        self.storages = {i: MemoryStorage() for i in ids}
        self.nodes = {i: RaftNode(RaftConfig(id=i, voters=ids), self.storages[i], random.Random(i)) for i in ids}
        self.queue: list = []
        self.messages = 0

    def settle(self) -> None:
        busy = True
        while busy:
            busy = False
            for i, n in self.nodes.items():
                while n.has_ready():
                    busy = True
                    rd = n.ready()
                    st = self.storages[i]
                    if rd.hard_state is not None:
                        st.set_hard_state(rd.hard_state)
                    if rd.entries:
                        st.append(rd.entries)
                    self.queue.extend(rd.messages)
                    self.messages += len(rd.messages)
                    n.advance(rd)
            if self.queue:
                busy = True
                q, self.queue = self.queue, []
                for m in q:
                    self.nodes[m.to].step(m)


def run(entries: int, batch: int) -> tuple[float, float]:
    c = Cluster()
    c.nodes["n1"].campaign()
    c.settle()
    leader = c.nodes["n1"]
    start_commit, start_msgs = leader.commit_index, c.messages
    payload = b"x" * 64
    t0 = time.process_time()
    done = 0
    while done < entries:
        if batch == 1:
            leader.propose(payload)
        else:
            leader.propose_batch([payload] * batch)
        done += batch
        c.settle()
    cpu = time.process_time() - t0
    committed = leader.commit_index - start_commit
    return committed / cpu, (c.messages - start_msgs) / committed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=20_000)
    args = ap.parse_args()
    for name, batch in (("unbatched", 1), ("batched x100", 100)):
        rate, mpe = run(args.entries, batch)
        print(f"{name:>13}: {rate:10,.0f} committed entries/CPU-s  {mpe:5.2f} messages/committed entry")


if __name__ == "__main__":
    main()
