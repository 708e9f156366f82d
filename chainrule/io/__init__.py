"""Saving and loading checkpoints (safetensors)."""

from .safetensors import load, save

__all__ = ["load", "save"]
