"""Reading and writing problems and results: CSV, JSON and pandas (the edge).

- :mod:`~matcher.io.csvfiles`: volunteers and needs from CSV;
- :mod:`~matcher.io.jsonfiles`: problems and policies as JSON, and the JSON Schemas;
- :mod:`~matcher.io.pairs`: pinned, forbidden and history pairs;
- :mod:`~matcher.io.read`: the readers (:func:`read_problem` and friends);
- :mod:`~matcher.io.write`: atomic writers (JSON, CSV, the plan CSV and workbook);
- :mod:`~matcher.io.plan`, :mod:`~matcher.io.roster`: the plan and the roster as tables;
- :mod:`~matcher.io.frames`: pandas DataFrames in and out (pandas imported only there).

Every reader collects all the problems of all its files and raises one
:class:`~matcher.InputError`, each naming the file row; writers write a
temporary file and rename it, so a failure never leaves a partial file.
"""

from .csvfiles import NEED_COLUMNS, VOLUNTEER_COLUMNS
from .frames import problem_from_frames, result_to_frame
from .jsonfiles import (
    SCHEMA_VERSION,
    json_schema,
    policy_from_dict,
    policy_to_dict,
    problem_from_dict,
    problem_to_dict,
)
from .pairs import read_pairs
from .plan import PLAN_COLUMNS, plan_table
from .read import read_needs, read_policy, read_problem, read_result, read_volunteers
from .roster import ROSTER_COLUMNS, roster_table, write_roster_csv
from .write import (
    write_json,
    write_needs_csv,
    write_plan_csv,
    write_plan_xlsx,
    write_volunteers_csv,
)

__all__ = [
    "NEED_COLUMNS",
    "PLAN_COLUMNS",
    "ROSTER_COLUMNS",
    "SCHEMA_VERSION",
    "VOLUNTEER_COLUMNS",
    "json_schema",
    "plan_table",
    "policy_from_dict",
    "policy_to_dict",
    "problem_from_dict",
    "problem_from_frames",
    "problem_to_dict",
    "read_needs",
    "read_pairs",
    "read_policy",
    "read_problem",
    "read_result",
    "read_volunteers",
    "result_to_frame",
    "roster_table",
    "write_json",
    "write_needs_csv",
    "write_plan_csv",
    "write_plan_xlsx",
    "write_roster_csv",
    "write_volunteers_csv",
]
