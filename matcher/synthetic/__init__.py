"""Reproducible synthetic communities (also the built-in demo data).

A synthetic community imitates a neighbourhood volunteer programme in which
employed people serve where they live: residential *communities* of a few
dozen apartment *buildings*, *households* in the buildings, *members* in the
households, each with an *occupation*, and, for employed members, an
*employer unit*. Only a small share of members volunteer (participation is
low and concentrated on retirees and students); they become the
:class:`~matcher.Volunteer` records. Residents' needs cluster around elderly
care, then rides to the clinic, homework help, paperwork (social security),
the problems of newcomers (jobs, housing, schooling, interpreting), legal
questions and repairs; they become the :class:`~matcher.Need` records.

:func:`generate` draws a community from a seed, :func:`demo` is the fixed
demo community. Everything is drawn from one :class:`numpy.random.Generator`
(PCG64 is platform independent), so a seed gives the same records on every
machine and in every process.

Occupations (:data:`OCCUPATIONS`)
---------------------------------
Skill levels are drawn uniformly in ``lo..hi``; a skill with a probability
below 1 is held by that share of the members of the occupation.

================  ==========  =====  ==================================================
occupation        status      share  skills (level range, probability if < 1)
================  ==========  =====  ==================================================
office_worker     employed    0.20   paperwork 1-2; driving 1-2 (0.35); language 1-2 (0.08)
it_worker         employed    0.06   tutoring 1 (0.6); paperwork 1 (0.5); language 1-3 (0.1)
service_worker    employed    0.10   cooking 2-4 (0.6); elderly_care 1 (0.3); driving 1-2 (0.2)
civil_servant     employed    0.04   paperwork 3-4; legal 1 (0.7); driving 1-2 (0.3)
teacher           employed    0.04   tutoring 3-4; language 1-3 (0.25)
nurse             employed    0.03   nursing 3-4; elderly_care 2-3
doctor            employed    0.01   nursing 5; driving 1-2 (0.5)
lawyer            employed    0.01   legal 3-5; paperwork 2 (0.5)
accountant        employed    0.02   paperwork 3; tutoring 1-2 (0.3)
electrician       employed    0.02   repair 3-4
handyman          employed    0.03   repair 2-3 (plumbers, fitters, handymen)
driver            employed    0.04   driving 3; repair 1 (0.3)
student           student     0.11   tutoring 1-2; language 1-3 (0.25)
retired           retired     0.24   a former occupation's skills one level lower;
                                     elderly_care 1-2 (0.7); cooking 1-2 (0.4);
                                     driving 1-2 (0.25)
homemaker         homemaker   0.05   cooking 2-3 (0.8); elderly_care 1-2 (0.6); tutoring 1 (0.3)
================  ==========  =====  ==================================================

``language`` is speaking a newcomer's language (interpreting); a retired
member's former occupation is drawn from the employed rows by share.

Time slots (:data:`SLOTS`)
--------------------------
19 slots in a week: ``"mon-am"``, ``"mon-pm"``, ``"mon-eve"``, ... ,
``"fri-eve"``, then ``"sat-am"``, ``"sat-pm"``, ``"sun-am"``, ``"sun-pm"``,
grouped in :data:`SLOT_GROUPS` as ``wkday-am``, ``wkday-pm`` (weekday
daytime), ``evening`` and ``weekend``. Employed members are free on evenings
and weekends only; students on evenings, weekends and some weekday afternoons;
retirees and homemakers in the weekday daytime and some weekend slots
(:data:`STATUS_PROFILES`, which also sets how likely each status is to
volunteer and how many needs a volunteer takes).

Needs (:data:`NEED_KINDS`)
--------------------------
A need is drawn from a table of kinds: category, topic, required skills,
demand, priority range and a slot mix. The category shares are
``elderly_care`` 0.40, ``medical`` 0.14 (rides to the clinic), ``tutoring``
0.14, ``paperwork`` 0.10, ``newcomer`` 0.10, ``repair`` 0.07, ``legal`` 0.05.
Elderly care and medical needs fall mostly in the weekday daytime, when only
retirees and homemakers are free, so some go unserved; tutoring falls on
evenings and weekends. A few needs are placed far from every community
(``n_remote``) or require skill levels nobody has (``n_rare``,
:data:`RARE_KINDS`), so a plan shows every kind of reason.

Examples
--------
>>> import matcher
>>> from matcher.synthetic import generate
>>> com = generate(rng=7, n_communities=1, buildings_per_community=10)
>>> len(com.volunteers) > 0 and len(com.needs) > 0
True
>>> com == generate(rng=7, n_communities=1, buildings_per_community=10)
True
>>> result = matcher.solve(com.problem())
>>> len(result.matches) + len(result.unmatched) >= len(com.needs)
True

Modules
-------
- :mod:`~matcher.synthetic.tables`: the tables below, as code;
- :mod:`~matcher.synthetic.generate`: :func:`generate` and :func:`demo`;
- :mod:`~matcher.synthetic.families`: the seeded benchmark families
  (:func:`~matcher.synthetic.families.make`);
- ``data/``: the demo community's CSV files, shipped for ``matcher demo``.
"""

from .generate import Community, demo, generate
from .tables import (
    NEED_KINDS,
    OCCUPATIONS,
    RARE_KINDS,
    SLOT_GROUPS,
    SLOTS,
    STATUS_PROFILES,
    NeedKind,
    Occupation,
    SkillSpec,
    StatusProfile,
)

__all__ = [
    "NEED_KINDS",
    "OCCUPATIONS",
    "RARE_KINDS",
    "SLOTS",
    "SLOT_GROUPS",
    "STATUS_PROFILES",
    "Community",
    "NeedKind",
    "Occupation",
    "SkillSpec",
    "StatusProfile",
    "demo",
    "generate",
]
