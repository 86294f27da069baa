"""kvraft/raft."""
