"""Gradient-free training and neuroevolution.

``chainrule.evolve.neat``: NEAT and backprop-tuned NEAT; ``chainrule.evolve.architecture``:
regularized evolution of layer-based models trained by backprop.
"""
