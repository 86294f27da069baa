"""kvraft/recipes."""
