"""Sequential models for the linearizability checker (``checkers.model.Model``)."""

from checkers.models.kv import KV, KvModel, freeze, thaw

__all__ = ["KV", "KvModel", "freeze", "thaw"]
