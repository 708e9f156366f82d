"""Saving and loading checkpoints (safetensors)."""

from .safetensors import LoadError, load, save

__all__ = ["LoadError", "load", "save"]
