"""Compare every solving method on a few synthetic communities: a table and a plot.

What it shows
-------------
- drawing reproducible communities with :func:`matcher.synthetic.generate`
  (fixed seeds, a few sizes);
- running every method of :func:`matcher.methods` on each: the exact ones
  (``flow``, ``hungarian``, ``network_simplex``, and ``auto``, which picks the
  fastest exact one) reach the same served priority and cost; ``greedy`` is a
  baseline; a method that cannot express a problem exactly raises
  :class:`matcher.UnsupportedProblem` and is shown as ``n/a`` (``hungarian``
  cannot stop one volunteer filling two units of a two-helper need, so it
  applies only to the "one-off" community, where every volunteer helps once);
- a table printed as text: served priority (sum of priority x units served,
  maximised first), cost (minimised second), coverage, participation and the
  best-of-3 solve time; every plan is re-checked with ``result.verify``;
- a plot (matplotlib, Agg backend: no display needed) of the served priority
  relative to the optimum and of the solve times.

Run it from the repository root (writes ``compare_methods.png`` in the current
directory, or where ``--out`` says)::

    python examples/compare_methods.py
    python examples/compare_methods.py --out /tmp/methods.png
"""

from __future__ import annotations

import argparse
import dataclasses
import textwrap
import time
from collections.abc import Sequence

import matplotlib

from matcher import verify

matplotlib.use("Agg")  # render to a file; must come before importing pyplot
import matplotlib.pyplot as plt  # noqa: E402

import matcher  # noqa: E402
from matcher.synthetic import Community, generate  # noqa: E402

REPEAT = 3  # each method runs this many times; the best time is reported


@dataclasses.dataclass
class Row:
    """One method on one community: the numbers of the table (None when n/a)."""

    community: str
    method: str
    result: matcher.Result | None = None  # None: the method does not apply
    seconds: float = 0.0
    verified: bool = False
    why: str = ""  # why the method does not apply


def communities() -> dict[str, Community]:
    """The test bed: three sizes of community, plus a one-off variant (capacity 1)."""
    city = generate(rng=3)  # the defaults: 3 communities x 40 buildings
    return {
        "small": generate(rng=1, n_communities=1, buildings_per_community=15),
        "medium": generate(rng=2, n_communities=2, buildings_per_community=20),
        "city": city,
        # A one-off event: the same city, but every volunteer helps once.
        "one-off": dataclasses.replace(
            city, volunteers=tuple(dataclasses.replace(v, capacity=1) for v in city.volunteers)
        ),
    }


def run(community: str, problem: matcher.Problem, method: str) -> Row:
    """Solve *problem* with *method* (best time of REPEAT runs) and verify the plan."""
    best = float("inf")
    try:
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            result = matcher.solve(problem, method=method)
            best = min(best, time.perf_counter() - t0)
    except matcher.UnsupportedProblem as exc:
        return Row(community, method, why=str(exc))
    return Row(community, method, result, best, verified=not verify(problem, result))


def format_table(rows: list[Row]) -> str:
    """The rows as a plain-text table, one line per community and method."""
    head = ["community", "method", "served priority", "cost", "coverage", "participation",
            "time ms", "status"]  # fmt: skip
    lines = [head]
    for r in rows:
        if r.result is None:
            lines.append([r.community, r.method, "n/a", "", "", "", "", ""])
            continue
        res, m = r.result, r.result.metrics
        method = r.method if res.method == r.method else f"{r.method}->{res.method}"
        lines.append([
            r.community, method, str(res.objective.served_priority), f"{res.objective.cost:.3f}",
            f"{m.coverage:.1%}", f"{m.participation_rate:.1%}", f"{1000 * r.seconds:.1f}",
            f"{res.status.value}, {'verified' if r.verified else 'VIOLATIONS'}",
        ])  # fmt: skip
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    out = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(s.rstrip() for s in out)


def plot(rows: list[Row], out: str) -> None:
    """Two panels: served priority relative to the exact optimum, and solve time."""
    names = list(dict.fromkeys(r.community for r in rows))
    methods = list(dict.fromkeys(r.method for r in rows))
    optimum = {  # the exact optimum of each community (flow is always exact)
        r.community: r.result.objective.served_priority
        for r in rows
        if r.method == "flow" and r.result is not None
    }
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    width = 0.8 / len(methods)
    lowest = 100.0
    for k, method in enumerate(methods):
        xs, rel, ms, na = [], [], [], []
        for r in rows:
            if r.method != method:
                continue
            x = names.index(r.community) + (k - (len(methods) - 1) / 2) * width
            if r.result is None:
                na.append(x)
                continue
            xs.append(x)
            rel.append(100.0 * r.result.objective.served_priority / max(optimum[r.community], 1))
            ms.append(1000.0 * r.seconds)
        ax1.bar(xs, rel, width, label=method, color=f"C{k}")
        ax2.bar(xs, ms, width, label=method, color=f"C{k}")
        lowest = min([lowest, *rel])
        for ax in (ax1, ax2):  # mark where a method does not apply
            for x in na:
                ax.annotate(
                    "n/a",
                    (x, 0),
                    xycoords=("data", "axes fraction"),
                    xytext=(0, 4),
                    textcoords="offset points",
                    ha="center",
                    rotation=90,
                    fontsize="x-small",
                )
    for ax in (ax1, ax2):
        ax.set_xticks(range(len(names)), names)
        ax.set_xlabel("community")
    ax1.set_ylabel("served priority, % of the optimum")
    ax1.set_ylim(max(0.0, lowest - 5.0), 101.0)
    ax1.set_title("Plan quality (exact methods: 100%)")
    ax2.set_ylabel("solve time, ms (best of 3, log scale)")
    ax2.set_yscale("log")
    ax2.set_title("Time of matcher.solve(), certificate included")
    ax2.legend(fontsize="small", ncols=2)
    fig.savefig(out, dpi=120)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="compare_methods.png", help="PNG to write")
    args = parser.parse_args(argv)

    methods = list(matcher.methods())  # auto, flow, hungarian, network_simplex, greedy
    rows: list[Row] = []
    for name, com in communities().items():
        problem = com.problem()
        pairs = matcher.build_graph(problem).n_edges
        print(
            f"{name:<8} {len(com.volunteers):4d} volunteers, {len(com.needs):4d} needs, "
            f"{pairs:5d} candidate pairs"
        )
        rows += [run(name, problem, method) for method in methods]
    print()
    print(format_table(rows))

    reasons: dict[str, list[str]] = {}  # each reason a method gave for n/a, once
    for r in rows:
        if r.result is None:
            reasons.setdefault(r.why, []).append(f"{r.method} on {r.community}")
    for why, where in reasons.items():
        print(f"\nn/a ({', '.join(where)}):")
        print(textwrap.fill(why, width=96, initial_indent="  ", subsequent_indent="  "))

    plot(rows, args.out)
    print(f"\nplot written to {args.out}")
    return 0 if all(r.verified for r in rows if r.result is not None) else 1


if __name__ == "__main__":
    raise SystemExit(main())
