"""The result: the plan with ids put back, reasons, metrics, the certificate (layer 4).

- :mod:`~matcher.result.plan`: :class:`Status`, :class:`Match`, :class:`Unmatched`,
  :class:`Objective`, and the reasons (:data:`REASONS`);
- :mod:`~matcher.result.certificate`: :class:`Certificate`, the proof of optimality;
- :mod:`~matcher.result.churn`: :class:`Churn` (what a re-plan changed), :class:`Stability`;
- :mod:`~matcher.result.metrics`: :class:`Metrics`;
- :mod:`~matcher.result.provenance`: :class:`Provenance` (version, policy, fingerprint);
- :mod:`~matcher.result.core`: :class:`Result`, :class:`GraphSolution`, the dict / JSON form;
- :mod:`~matcher.result.assemble`: from a solver's chosen edges to a :class:`Result`.
"""

from .assemble import assemble, in_units, unmatched_reasons
from .certificate import Certificate
from .churn import Churn, Stability
from .core import SCHEMA_VERSION, Result
from .metrics import Metrics, compute_metrics
from .plan import FILTERS, REASONS, UNKNOWN, GraphSolution, Match, Objective, Status, Unmatched
from .provenance import Provenance, other_data

__all__ = [
    "FILTERS",
    "REASONS",
    "SCHEMA_VERSION",
    "UNKNOWN",
    "Certificate",
    "Churn",
    "GraphSolution",
    "Match",
    "Metrics",
    "Objective",
    "Provenance",
    "Result",
    "Stability",
    "Status",
    "Unmatched",
    "assemble",
    "compute_metrics",
    "in_units",
    "other_data",
    "unmatched_reasons",
]
