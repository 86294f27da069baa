"""kvraft.recipes: coordination recipes on the public v2 client (etcd v2 spec §9), one per module.

Rules: built only on ``kvraft.client.Client`` requests; callbacks only (``on_done(ok, value)``, ok is
True / False / None = unknown, see ``common``); time and timers from the client's runtime; no
randomness of their own. Each recipe documents its requests and its limits.

- ``registry``: service registry with TTL heartbeats (``Registry``, ``KeepAlive``)
- ``config_watch``: watch loop with waitIndex and the 401 recovery (``ConfigWatch``)
- ``lock``: lease lock with a fencing token (``Lock``)
- ``fair_lock``: FIFO lock on in-order keys (``FairLock``)
- ``queue``: work queue on in-order keys, claim by compareAndDelete (``Queue``)
- ``election``: leader election on a TTL key (``Election``)
- ``barrier``: condition-counter barrier (``Barrier``)
"""

from kvraft.recipes.barrier import Barrier
from kvraft.recipes.config_watch import ConfigWatch
from kvraft.recipes.election import Election
from kvraft.recipes.fair_lock import FairLock
from kvraft.recipes.lock import Lock
from kvraft.recipes.queue import Queue
from kvraft.recipes.registry import KeepAlive, Registry

__all__ = ["Barrier", "ConfigWatch", "Election", "FairLock", "KeepAlive", "Lock", "Queue", "Registry"]
