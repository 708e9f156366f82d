"""Gradient-free training on chainrule models: evolution strategies, genetic algorithms,
CMA-ES, hybrids with backprop, and the problems (supervised, reinforcement learning) they
solve.
"""

__all__: list[str] = []
