"""kvraft."""
