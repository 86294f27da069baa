"""sim: the simulated world -- virtual time, seeded randomness, hosts, disks, network, faults, trace.

Rules: imports only simpy, networkx and the stdlib; deterministic under one seed (see world.py).
"""

from .disk import SimDisk
from .errors import ConfigError, SimError
from .faults import (
    Block, ClockDrift, ClockJump, ClockSkew, Crash, DiskFaults, Fault, Grudge, Heal, LinkFaults,
    Partition, Pause, Restart, Resume, fault_fields, fault_name,
)
from .host import Host, SimRuntime, SimTimer
from .latency import Constant, Exponential, Latency, LongTail, Normal, Uniform
from .network import LinkParams, Network, default_latency
from .partitions import (
    SHAPES, Shape, bridge, grudges, halves, isolate, majorities_ring, majority_minority,
    minority_third, one_way, ring, shape,
)
from .rand import RandomStreams, stream_seed
from .trace import FORMAT_VERSION, TraceError, TraceWriter, canonical, read_trace, trace_sha256
from .units import MS, S, US, format_ns, parse_ns
from .world import World

__all__ = [
    # world
    "World", "Host", "SimRuntime", "SimTimer", "SimDisk", "Network", "LinkParams", "default_latency",
    # randomness and errors
    "RandomStreams", "stream_seed", "SimError", "ConfigError",
    # faults
    "Fault", "Partition", "Grudge", "Block", "Heal", "Crash", "Restart", "Pause", "Resume",
    "ClockSkew", "ClockDrift", "ClockJump", "LinkFaults", "DiskFaults", "fault_fields", "fault_name",
    # latency
    "Latency", "Constant", "Uniform", "Normal", "Exponential", "LongTail",
    # partition shapes
    "Shape", "SHAPES", "shape", "halves", "majority_minority", "minority_third", "isolate", "bridge",
    "majorities_ring", "ring", "one_way", "grudges",
    # trace format and units
    "FORMAT_VERSION", "TraceError", "TraceWriter", "canonical", "read_trace", "trace_sha256",
    "US", "MS", "S", "format_ns", "parse_ns",
]
