"""Search strategies with one ask/tell interface (see ``base.Strategy``)."""

from .base import Strategy
from .cmaes import CMAES
from .ga import GeneticAlgorithm
from .guided import GuidedES
from .openai_es import OpenAIES
from .pgpe import PGPE, clipup
from .random_search import RandomSearch
from .snes import SNES
from .xnes import FULL_COVARIANCE_WARN_DIM, XNES

__all__ = ["CMAES", "FULL_COVARIANCE_WARN_DIM", "PGPE", "SNES", "XNES", "GeneticAlgorithm",
           "GuidedES", "OpenAIES", "RandomSearch", "Strategy", "clipup"]
