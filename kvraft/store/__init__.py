"""kvraft/store."""
