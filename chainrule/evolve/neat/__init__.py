"""NEAT (NeuroEvolution of Augmenting Topologies, Stanley & Miikkulainen 2002) on
chainrule graphs, and NEAT with backpropagation inside the fitness evaluation.

- :class:`NEATConfig`: the paper's parameters as defaults;
- :class:`Genome`, :class:`ConnectionGene`, :class:`InnovationTracker`, :func:`crossover`,
  :func:`distance`, the mutations;
- :class:`Population`: speciation, fitness sharing, stagnation, elitism, reproduction;
- :class:`FeedForwardNetwork` (NumPy, for fitness) and :class:`GenomeModule` (an
  ``nn.Module`` that backpropagation trains), both evaluated one layer per matrix product;
- :class:`BackpropFitness` (Lamarckian or Baldwinian), :func:`make_task`, XOR fitness;
- :func:`draw_genome`, :func:`plot_history`.

>>> from chainrule.evolve.neat import NEATConfig, Population, xor_fitness, xor_solved
>>> cfg = NEATConfig(num_inputs=2, num_outputs=1)
>>> pop = Population(cfg, seed=0)
>>> best = pop.run(lambda gs: xor_fitness(gs, cfg), 200, solved=lambda g: xor_solved(g, cfg))
"""

from .config import ACTIVATIONS, NEATConfig
from .draw import draw_genome, genome_graph, plot_history
from .genome import (
    ConnectionGene,
    Genome,
    InnovationTracker,
    crossover,
    distance,
    mutate,
    mutate_add_link,
    mutate_add_node,
    mutate_weights,
)
from .network import FeedForwardNetwork, GenomeModule, naive_forward
from .population import GenerationStats, Population, Species
from .tasks import TASKS, BackpropFitness, make_task, xor_fitness, xor_solved

__all__ = [
    "ACTIVATIONS", "TASKS", "BackpropFitness", "ConnectionGene", "FeedForwardNetwork",
    "GenerationStats", "Genome", "GenomeModule", "InnovationTracker", "NEATConfig",
    "Population", "Species", "crossover", "distance", "draw_genome", "genome_graph",
    "make_task", "mutate", "mutate_add_link", "mutate_add_node", "mutate_weights",
    "naive_forward", "plot_history", "xor_fitness", "xor_solved",
]  # fmt: skip
