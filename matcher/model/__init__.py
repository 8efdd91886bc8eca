"""The model: volunteers, needs, the policy and the problem (layer 1 of the pipeline).

Records are immutable and only canonicalised when made; a :class:`Problem`
checks everything at once. :mod:`matcher.model.rules` owns the five
feasibility rules and the distance formula, shared by the graph, pinned pairs
and :func:`matcher.verify`. :func:`unmet_names` finds the slots and skills of
needs that no volunteer has (likely typos), before solving.
"""

from .names import NameWarning, unmet_names
from .policy import Policy, Weights
from .problem import Problem
from .records import Need, Volunteer

__all__ = ["NameWarning", "Need", "Policy", "Problem", "Volunteer", "Weights", "unmet_names"]
