"""The proof: re-check a result against its problem, independently of the solving path.

:func:`verify` shares no code with the graph builder, the network builder or
any solver (an import-linter contract keeps it so); only the distance formula
of :mod:`matcher.model.rules` is shared, so both sides agree to the last bit on
pairs exactly at the travel limit.
"""

from .checker import VIOLATIONS, Violation, verify

__all__ = ["VIOLATIONS", "Violation", "verify"]
