"""See backpropagation at work: gradient-flow diagnostics, a chain-rule trace, graph
drawings and model gradient checks.

- ``gradient_report`` / ``GradientMonitor``: vanishing and exploding gradients, dead ReLUs,
  saturated sigmoid/tanh units and NaNs, found per layer with what to try;
- ``explain``: the backward pass of a small graph, step by step, with numbers;
- ``draw``: the computational graph as SVG/PNG (Graphviz when installed), DOT or text;
- ``check_model_gradients``: every parameter's gradient against finite differences;
- ``es_gradient_check``: the gradient against an evolution-strategies estimate;
- ``doctor``: the ``chainrule doctor`` command (``python -m chainrule.diagnose.doctor``).

``cr.detect_anomaly()`` (in the engine) finds the first op that produces NaN or Inf.
"""

from .check import GradientCheckReport, ParamCheck, check_model_gradients
from .draw import draw, to_dot, to_text
from .es_check import ESGradientCheck, es_gradient_check
from .explain import explain
from .plots import plot_gradient_flow, plot_gradient_norms
from .report import KINDS, Finding, GradientReport, LayerStats, Probe, gradient_report


def __getattr__(name):
    # GradientMonitor is a training callback: import the training loop only when asked.
    if name == "GradientMonitor":
        from .monitor import GradientMonitor

        return GradientMonitor
    raise AttributeError(f"module 'chainrule.diagnose' has no attribute {name!r}")


__all__ = [
    "KINDS", "Finding", "GradientCheckReport", "GradientMonitor", "GradientReport",
    "LayerStats", "ParamCheck", "Probe", "check_model_gradients", "draw", "explain",
    "gradient_report", "plot_gradient_flow", "plot_gradient_norms", "to_dot", "to_text",
    "ESGradientCheck", "es_gradient_check",
]  # fmt: skip
