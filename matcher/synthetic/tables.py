"""The tables a synthetic community is drawn from: slots, occupations, employment status, kinds of need.

``docs/synthetic.md`` shows every table here; ``tests/test_examples.py`` checks the
page against these tables row by row.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "NEED_KINDS",
    "OCCUPATIONS",
    "RARE_KINDS",
    "SLOTS",
    "SLOT_GROUPS",
    "STATUS_PROFILES",
    "NeedKind",
    "Occupation",
    "SkillSpec",
    "StatusProfile",
]


# km per degree of latitude on the sphere the model uses (radius 6371.0088 km).
_KM_PER_DEG = math.pi * 6371.0088 / 180.0

_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")

SLOTS: tuple[str, ...] = (
    *(f"{d}-{part}" for d in _WEEKDAYS for part in ("am", "pm", "eve")),
    "sat-am",
    "sat-pm",
    "sun-am",
    "sun-pm",
)
"""The 19 time slots of a week, in calendar order."""

SLOT_GROUPS: Mapping[str, tuple[str, ...]] = {
    "wkday-am": tuple(f"{d}-am" for d in _WEEKDAYS),
    "wkday-pm": tuple(f"{d}-pm" for d in _WEEKDAYS),
    "evening": tuple(f"{d}-eve" for d in _WEEKDAYS),
    "weekend": ("sat-am", "sat-pm", "sun-am", "sun-pm"),
}
"""Slot groups used by the availability and need tables (a partition of :data:`SLOTS`)."""


@dataclass(frozen=True)
class SkillSpec:
    """A skill an occupation gives: level drawn uniformly in ``lo..hi`` with probability ``p``."""

    skill: str
    lo: int
    hi: int
    p: float = 1.0


@dataclass(frozen=True)
class Occupation:
    """One row of :data:`OCCUPATIONS`.

    Attributes
    ----------
    name : str
    status : {"employed", "student", "retired", "homemaker"}
        Decides availability, capacity, willingness to volunteer and whether
        the member has an employer unit (employed only).
    share : float
        Share among all members (the shares of the table sum to 1).
    skills : tuple of SkillSpec
    former : bool
        True for ``retired``: the member also keeps the skills of a former
        (employed) occupation, one level lower (at least 1).
    """

    name: str
    status: str
    share: float
    skills: tuple[SkillSpec, ...]
    former: bool = False


def _s(skill: str, lo: int, hi: int, p: float = 1.0) -> SkillSpec:
    return SkillSpec(skill, lo, hi, p)


OCCUPATIONS: tuple[Occupation, ...] = (
    Occupation("office_worker", "employed", 0.20,
               (_s("paperwork", 1, 2), _s("driving", 1, 2, 0.35), _s("language", 1, 2, 0.08))),
    Occupation("it_worker", "employed", 0.06,
               (_s("tutoring", 1, 1, 0.6), _s("paperwork", 1, 1, 0.5), _s("language", 1, 3, 0.1))),
    Occupation("service_worker", "employed", 0.10,
               (_s("cooking", 2, 4, 0.6), _s("elderly_care", 1, 1, 0.3), _s("driving", 1, 2, 0.2))),
    Occupation("civil_servant", "employed", 0.04,
               (_s("paperwork", 3, 4), _s("legal", 1, 1, 0.7), _s("driving", 1, 2, 0.3))),
    Occupation("teacher", "employed", 0.04, (_s("tutoring", 3, 4), _s("language", 1, 3, 0.25))),
    Occupation("nurse", "employed", 0.03, (_s("nursing", 3, 4), _s("elderly_care", 2, 3))),
    Occupation("doctor", "employed", 0.01, (_s("nursing", 5, 5), _s("driving", 1, 2, 0.5))),
    Occupation("lawyer", "employed", 0.01, (_s("legal", 3, 5), _s("paperwork", 2, 2, 0.5))),
    Occupation("accountant", "employed", 0.02, (_s("paperwork", 3, 3), _s("tutoring", 1, 2, 0.3))),
    Occupation("electrician", "employed", 0.02, (_s("repair", 3, 4),)),
    Occupation("handyman", "employed", 0.03, (_s("repair", 2, 3),)),
    Occupation("driver", "employed", 0.04, (_s("driving", 3, 3), _s("repair", 1, 1, 0.3))),
    Occupation("student", "student", 0.11, (_s("tutoring", 1, 2), _s("language", 1, 3, 0.25))),
    Occupation("retired", "retired", 0.24,
               (_s("elderly_care", 1, 2, 0.7), _s("cooking", 1, 2, 0.4), _s("driving", 1, 2, 0.25)),
               former=True),
    Occupation("homemaker", "homemaker", 0.05,
               (_s("cooking", 2, 3, 0.8), _s("elderly_care", 1, 2, 0.6),
                _s("tutoring", 1, 1, 0.3))),
)  # fmt: skip
"""Occupation -> skills, employment status and share among members (see the module docstring)."""


@dataclass(frozen=True)
class StatusProfile:
    """How members of one employment status volunteer.

    Attributes
    ----------
    status : str
    propensity : float
        Relative willingness to volunteer; the probabilities are scaled so that
        the expected share of volunteers among all members is ``volunteer_share``.
    capacity : tuple of float
        Probabilities of capacity 1, 2 and 3.
    availability : tuple of (group, min, max, probability)
        For each slot group of :data:`SLOT_GROUPS`: with the given probability,
        the volunteer is free in ``min..max`` of its slots (drawn without
        replacement). A volunteer left with no slot gets one slot of the
        first group.
    """

    status: str
    propensity: float
    capacity: tuple[float, float, float]
    availability: tuple[tuple[str, int, int, float], ...]


STATUS_PROFILES: Mapping[str, StatusProfile] = {
    "employed": StatusProfile(
        "employed", 0.5, (0.6, 0.3, 0.1), (("evening", 1, 3, 0.8), ("weekend", 1, 3, 0.85))
    ),
    "student": StatusProfile(
        "student", 3.0, (0.55, 0.4, 0.05),
        (("evening", 1, 3, 0.8), ("weekend", 1, 3, 0.85), ("wkday-pm", 1, 2, 0.4)),
    ),
    "retired": StatusProfile(
        "retired", 3.5, (0.2, 0.4, 0.4),
        (("wkday-am", 1, 4, 0.9), ("wkday-pm", 1, 4, 0.8), ("weekend", 1, 2, 0.35)),
    ),
    "homemaker": StatusProfile(
        "homemaker", 1.5, (0.4, 0.4, 0.2),
        (("wkday-am", 1, 3, 0.7), ("wkday-pm", 1, 3, 0.8), ("weekend", 1, 1, 0.3)),
    ),
}  # fmt: skip
"""Employment status -> volunteering propensity, capacity and free slots."""


@dataclass(frozen=True)
class NeedKind:
    """One row of :data:`NEED_KINDS` (or :data:`RARE_KINDS`).

    Attributes
    ----------
    category : str
    topic : str
        What the resident asks for; carried in ``Need.extra["topic"]``.
    share : float
        Share among all needs (the shares of :data:`NEED_KINDS` sum to 1).
    skills : tuple of (str, int)
        Required skill and minimum level.
    demand : int
        Volunteers needed.
    priority : tuple of int
        Priority range ``(lo, hi)``, drawn uniformly.
    slots : tuple of (group, weight)
        Where the slot is drawn: a group of :data:`SLOT_GROUPS` (then a slot
        uniformly in it) or ``"any"`` (no slot: any time).
    """

    category: str
    topic: str
    share: float
    skills: tuple[tuple[str, int], ...]
    demand: int
    priority: tuple[int, int]
    slots: tuple[tuple[str, float], ...]


_DAY = (("wkday-am", 0.35), ("wkday-pm", 0.35), ("evening", 0.1), ("weekend", 0.2))

_CARE = (("wkday-am", 0.5), ("wkday-pm", 0.3), ("evening", 0.1), ("weekend", 0.1))

_CLINIC = (("wkday-am", 0.6), ("wkday-pm", 0.25), ("weekend", 0.15))

_OFFICE = (("wkday-am", 0.5), ("wkday-pm", 0.3), ("weekend", 0.2))

_AFTER_WORK = (("evening", 0.5), ("weekend", 0.5))

_FORMS = (("wkday-am", 0.2), ("wkday-pm", 0.2), ("evening", 0.3), ("weekend", 0.2), ("any", 0.1))

_HOME = (("evening", 0.3), ("weekend", 0.6), ("any", 0.1))

NEED_KINDS: tuple[NeedKind, ...] = (
    NeedKind("elderly_care", "home visit and company", 0.14, (("elderly_care", 1),), 1, (2, 4),
             _DAY),
    NeedKind("elderly_care", "meals", 0.05, (("cooking", 1),), 1, (3, 4),
             (("wkday-am", 0.3), ("wkday-pm", 0.2), ("evening", 0.3), ("weekend", 0.2))),
    NeedKind("elderly_care", "personal care", 0.10, (("elderly_care", 2),), 1, (3, 5), _CARE),
    NeedKind("elderly_care", "home nursing", 0.06, (("nursing", 3),), 1, (4, 5), _CARE),
    NeedKind("elderly_care", "bathing (two helpers)", 0.05, (("elderly_care", 2),), 2, (3, 5),
             (("wkday-am", 0.4), ("wkday-pm", 0.3), ("weekend", 0.3))),
    NeedKind("medical", "ride to the clinic", 0.10, (("driving", 2),), 1, (3, 5), _CLINIC),
    NeedKind("medical", "wheelchair transport", 0.02, (("driving", 3),), 1, (4, 5),
             (("wkday-am", 0.7), ("wkday-pm", 0.3))),
    NeedKind("medical", "hospital escort", 0.02, (("elderly_care", 1),), 1, (3, 4),
             (("wkday-am", 0.6), ("wkday-pm", 0.4))),
    NeedKind("tutoring", "homework help", 0.07, (("tutoring", 1),), 1, (1, 3),
             (("wkday-pm", 0.1), ("evening", 0.6), ("weekend", 0.3))),
    NeedKind("tutoring", "exam preparation", 0.05, (("tutoring", 3),), 1, (2, 3), _AFTER_WORK),
    NeedKind("tutoring", "language support for a newcomer child", 0.02,
             (("tutoring", 2), ("language", 1)), 1, (2, 4), _AFTER_WORK),
    NeedKind("paperwork", "social security form", 0.06, (("paperwork", 2),), 1, (2, 4), _FORMS),
    NeedKind("paperwork", "pension or tax return", 0.04, (("paperwork", 3),), 1, (2, 4), _FORMS),
    NeedKind("newcomer", "job search", 0.03, (("paperwork", 1),), 1, (2, 4),
             (("evening", 0.4), ("weekend", 0.4), ("any", 0.2))),
    NeedKind("newcomer", "housing contract", 0.02, (("paperwork", 2),), 1, (2, 4), _HOME),
    NeedKind("newcomer", "school enrolment", 0.02, (("paperwork", 1),), 1, (2, 4), _OFFICE),
    NeedKind("newcomer", "interpreting at the clinic", 0.02, (("language", 2),), 1, (3, 4),
             (("wkday-am", 0.7), ("wkday-pm", 0.3))),
    NeedKind("newcomer", "social security registration", 0.01,
             (("paperwork", 1), ("language", 1)), 1, (2, 4), _OFFICE),
    NeedKind("legal", "legal advice", 0.04, (("legal", 3),), 1, (2, 4), _AFTER_WORK),
    NeedKind("legal", "tenancy dispute", 0.01, (("legal", 4),), 1, (3, 4), _AFTER_WORK),
    NeedKind("repair", "small repair", 0.04, (("repair", 2),), 1, (1, 3), _HOME),
    NeedKind("repair", "electrical repair", 0.02, (("repair", 3),), 1, (2, 4), _HOME),
    NeedKind("repair", "moving help", 0.01, (), 2, (1, 2), (("weekend", 1.0),)),
)  # fmt: skip
"""The kinds of need and their shares (see the module docstring)."""

RARE_KINDS: tuple[NeedKind, ...] = (
    NeedKind("elderly_care", "palliative care", 0.0, (("elderly_care", 3), ("nursing", 5)), 1,
             (5, 5), _CARE),
    NeedKind("paperwork", "form help in sign language", 0.0,
             (("paperwork", 1), ("sign_language", 2)), 1, (3, 3), _FORMS),
    NeedKind("legal", "court representation with interpreting", 0.0,
             (("language", 3), ("legal", 5)), 1, (4, 4), _AFTER_WORK),
    NeedKind("repair", "certified gas boiler repair", 0.0, (("repair", 5),), 1, (3, 3), _HOME),
)  # fmt: skip
"""Needs asking for skill levels no member can hold together (used for ``n_rare``, in turn)."""


def _category_skills() -> dict[str, tuple[str, ...]]:
    """Category -> the skill names its kinds of need use, in table order."""
    out: dict[str, tuple[str, ...]] = {}
    for kind in NEED_KINDS:
        have = out.setdefault(kind.category, ())
        out[kind.category] = have + tuple(s for s, _ in kind.skills if s not in have)
    return out


# A volunteer may prefer the categories their skills serve.
_CATEGORY_SKILLS = _category_skills()

# A retired member's former occupation is drawn from these, by share.
_EMPLOYED = tuple(o for o in OCCUPATIONS if o.status == "employed")

_EMPLOYED_P = np.array([o.share for o in _EMPLOYED]) / sum(o.share for o in _EMPLOYED)
