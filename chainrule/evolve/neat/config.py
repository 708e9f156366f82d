"""NEAT's parameters, with the published values of Stanley & Miikkulainen (2002) as defaults.

Values the paper states (section 4.1, "Parameter settings") are marked *paper*. Values it
leaves open are taken from the authors' reference implementation (NEAT C++, ``p2nv.ne`` /
``xor`` parameter files) and marked *reference*; the few chosen here are marked *chosen*.

Deviations from the paper, on purpose:

- networks are feed-forward only (the paper also allows recurrent links): an add-link
  mutation that would close a cycle is not made, so a genome always compiles to a DAG that
  is evaluated in topological layers with one matrix product per layer;
- fitness must be finite and non-negative (fitness sharing divides it among a species and
  offspring are allotted in proportion to the shares);
- when two parents have equal fitness, crossover takes the disjoint and excess genes from the
  smaller genome (as the reference implementation), not from both, so a child can never
  contain a cycle;
- an offspring gets at most one kind of mutation (add node, else add link, else weights), as
  in the reference implementation; the paper gives the rates but not how they combine;
- the steepened sigmoid is computed as (1 + tanh(4.9 x / 2)) / 2, the same function without
  overflow for large |x|.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")


@dataclass
class NEATConfig:
    """The settings of a NEAT run. ``NEATConfig(num_inputs=2, num_outputs=1)`` is the
    paper's XOR experiment.

    Args:
        num_inputs, num_outputs: sensor and output node counts (a bias input is added when
            ``bias`` is true, as in the paper, whose XOR networks have three inputs).
        population_size: 150 (*paper*).
        compatibility_threshold: δt = 3.0 (*paper*).
        target_species: None (*paper*: δt fixed). An int turns on the reference
            implementation's dynamic threshold: after each generation δt moves by
            ``threshold_step`` towards giving this many species (never below the step).
        threshold_step: 0.3 (*reference*, ``compat_mod``).
        c1, c2, c3: weights of excess, disjoint and mean weight difference in the
            compatibility distance δ = c1 E/N + c2 D/N + c3 W̄: 1.0, 1.0, 0.4 (*paper*).
        normalize_below: N is set to 1 when both genomes have fewer genes than this: 20
            (*paper*: "N can be set to 1 if both genomes are small").
        stagnation: a species whose best fitness has not improved for this many
            generations does not reproduce: 15 (*paper*).
        population_stagnation: when the population's best has not improved for this many
            generations, only the two best species reproduce: 20 (*paper*).
        elitism_min_size: the champion of each species with more than this many members is
            copied unchanged: 5 (*paper*).
        survival_threshold: the fraction of each species (the best) allowed to be parents:
            0.2 (*reference*).
        weight_mutate_rate: probability that an offspring's weights are mutated: 0.8 (*paper*).
        weight_perturb_prob: per weight, uniform perturbation vs a new random value:
            0.9 / 0.1 (*paper*).
        weight_perturb_power: perturbations are uniform in ±this: 2.5 (*reference*,
            ``weight_mut_power``).
        weight_init_std: new weights are N(0, std²): 2.0 (*chosen*: on XOR, 10 of 10 seeds
            solved in a mean 6,435 evaluations, against 12,600 with std 1.0).
        weight_limit: weights are clipped to ±this (*chosen*; the reference uses no limit
            but its perturbations shrink).
        disable_inherited_prob: an inherited gene disabled in either parent is disabled in
            the child with this probability: 0.75 (*paper*).
        mutate_only_prob: fraction of offspring made by mutation without crossover:
            0.25 (*paper*).
        mate_only_prob: fraction of crossover offspring that are not mutated afterwards:
            0.2 (*reference*).
        interspecies_mating_rate: 0.001 (*paper*).
        add_node_prob: 0.03 (*paper*).
        add_link_prob: 0.05, or 0.3 for large populations (*paper*).
        add_link_tries: attempts to find an unconnected, acyclic pair: 20 (*reference*).
        activation: hidden-node activation; ``"sigmoid"`` is the paper's steepened sigmoid
            1 / (1 + e^(-4.9 x)).
        output_activation: output-node activation (default the same as ``activation``;
            ``"identity"`` gives logits for a cross-entropy loss).
        bias: add a constant-1 input node (*paper*).
    """

    num_inputs: int = 2
    num_outputs: int = 1
    population_size: int = 150
    compatibility_threshold: float = 3.0
    target_species: int | None = None
    threshold_step: float = 0.3
    c1: float = 1.0
    c2: float = 1.0
    c3: float = 0.4
    normalize_below: int = 20
    stagnation: int = 15
    population_stagnation: int = 20
    elitism_min_size: int = 5
    survival_threshold: float = 0.2
    weight_mutate_rate: float = 0.8
    weight_perturb_prob: float = 0.9
    weight_perturb_power: float = 2.5
    weight_init_std: float = 2.0
    weight_limit: float = 8.0
    disable_inherited_prob: float = 0.75
    mutate_only_prob: float = 0.25
    mate_only_prob: float = 0.2
    interspecies_mating_rate: float = 0.001
    add_node_prob: float = 0.03
    add_link_prob: float = 0.05
    add_link_tries: int = 20
    activation: str = "sigmoid"
    output_activation: str | None = None
    bias: bool = True

    def __post_init__(self) -> None:
        for name in ("num_inputs", "num_outputs", "population_size", "stagnation",
                     "population_stagnation", "elitism_min_size", "add_link_tries",
                     "normalize_below"):
            v = getattr(self, name)
            low = 0 if name in ("elitism_min_size", "normalize_below") else 1
            if not isinstance(v, int) or isinstance(v, bool) or v < low:
                raise ValueError(f"NEATConfig: {name} must be an int >= {low}, got {v!r}")
        for name in ("survival_threshold", "weight_mutate_rate", "weight_perturb_prob",
                     "disable_inherited_prob", "mutate_only_prob", "mate_only_prob",
                     "interspecies_mating_rate", "add_node_prob", "add_link_prob"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0.0 <= v <= 1.0:
                raise ValueError(f"NEATConfig: {name} is a probability in [0, 1], got {v!r}")
        if self.survival_threshold == 0:
            raise ValueError("NEATConfig: survival_threshold must be > 0 (no parents otherwise)")
        if self.target_species is not None and (
                not isinstance(self.target_species, int) or self.target_species < 1):
            raise ValueError(f"NEATConfig: target_species must be None or an int >= 1, got "
                             f"{self.target_species!r}")
        for name in ("compatibility_threshold", "threshold_step", "c1", "c2", "c3",
                     "weight_perturb_power",
                     "weight_init_std", "weight_limit"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not v >= 0:
                raise ValueError(f"NEATConfig: {name} must be a number >= 0, got {v!r}")
        for name in ("activation", "output_activation"):
            v = getattr(self, name)
            if v is not None and v not in ACTIVATIONS:
                raise ValueError(f"NEATConfig: {name} must be one of {ACTIVATIONS}, got {v!r}")
        if self.output_activation is None:
            self.output_activation = self.activation

    def replace(self, **changes) -> NEATConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)
