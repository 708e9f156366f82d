"""Gradient-free training on chainrule models: evolution strategies, genetic algorithms,
CMA-ES, hybrids with backprop, and the problems (supervised, reinforcement learning) they
solve; neuroevolution in ``chainrule.evolve.neat`` (NEAT and backprop-tuned NEAT) and
``chainrule.evolve.architecture`` (regularized evolution of layer-based models trained by
backprop).

>>> space = ParameterVector(model)                     # the parameters as one vector
>>> es = OpenAIES(model, maximize=False, sigma=0.02, popsize=100, seed=0)
>>> history = evolve(es, SupervisedProblem(model, nn.CrossEntropyLoss(), loader), 500)

Every strategy has ``ask() -> (popsize, dim)`` and ``tell(fitness)``, states
``maximize=`` explicitly, is seeded, and saves its state with ``state_dict()``
(``cr.save`` writes it). ``gymnasium`` and ``cma`` are optional
(``pip install 'chainrule[evolve]'``).
"""

from .hybrid import Baldwinian, Lamarckian, learn
from .loop import EvolutionHistory, evolve, load_checkpoint, save_checkpoint
from .parallel import ParallelEvaluator
from .params import ParameterVector, parameters_to_vector, vector_to_parameters
from .population import PopulationModel, batched_forward_supported, population_forward
from .problems import FunctionProblem, GymProblem, Problem, SupervisedProblem
from .seeding import derive_seed, normal
from .shaping import centered_ranks, nes_utilities
from .strategies import (
    CMAES,
    PGPE,
    SNES,
    XNES,
    GeneticAlgorithm,
    GuidedES,
    OpenAIES,
    RandomSearch,
    Strategy,
    clipup,
)

# One sorted list: keep it sorted when adding names.
__all__ = [
    "Baldwinian",
    "CMAES",
    "EvolutionHistory",
    "FunctionProblem",
    "GeneticAlgorithm",
    "GuidedES",
    "GymProblem",
    "Lamarckian",
    "OpenAIES",
    "PGPE",
    "ParallelEvaluator",
    "ParameterVector",
    "PopulationModel",
    "Problem",
    "RandomSearch",
    "SNES",
    "Strategy",
    "SupervisedProblem",
    "XNES",
    "batched_forward_supported",
    "centered_ranks",
    "clipup",
    "derive_seed",
    "evolve",
    "learn",
    "load_checkpoint",
    "nes_utilities",
    "normal",
    "parameters_to_vector",
    "population_forward",
    "save_checkpoint",
    "vector_to_parameters",
]
