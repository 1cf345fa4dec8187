"""Dependencies run downhill (docs/ARCHITECTURE.md, "Layers"), read statically like the cycle test:
every module of ``plugins/gxq`` sits on a floor, imports only modules on lower floors or its own
floor, and on the capabilities' floors only its own package. So no capability imports another (the
bulletin takes the publicity line through :mod:`gxq.carried`, at the step layer), and nothing below
the step layer imports it. Each rule is also shown to fail on a small tree that breaks it."""

from __future__ import annotations

from pathlib import Path

from tests.foundation.test_import_cycles import module_graph

REPO = Path(__file__).resolve().parents[2]

# Floor of each top-level name under gxq (a package or a module); the floors of docs/ARCHITECTURE.md.
FLOORS = {
    # 0  foundation: periods, SQL, texts, files, connections, the working calendar, demo data
    **dict.fromkeys(
        (
            "gxq",
            "periods",
            "rates",
            "masking",
            "connections",
            "sql",
            "templating",
            "output",
            "progress",
            "units",
            "office",
            "calendar",
            "demo",
            "airflow_api",
        ),
        0,
    ),
    # 1  the registry, the run value, gxq_ops and the outbox
    **dict.fromkeys(("cadences", "run", "store", "notify"), 1),
    # 2  the capabilities, each on department data of its own
    **dict.fromkeys(("petitions", "policy", "innovation", "publicity", "tracking", "assessment"), 2),
    # 3  built on the capabilities' rules and reports
    **dict.fromkeys(("urgent", "scorecard", "dashboard"), 3),
    # 4  the step layer: Airflow steps and the composition of capabilities
    **dict.fromkeys(("dagkit", "flow", "carried"), 4),
}
# Modules whose floor is not their package's: the policy DAGs' shared steps and review operator.
MODULE_FLOORS = {"gxq.policy.steps": 4}
# Floors whose packages may import each other (shared floors); on the others a package imports only itself.
SHARED = {0, 1, 4}


def floor_of(module: str) -> tuple[int, str]:
    """(floor, package) of a module: ``gxq.petitions.compute`` -> (2, "petitions")."""
    parts = module.split(".")
    package = parts[1] if len(parts) > 1 else "gxq"
    if module in MODULE_FLOORS:
        return MODULE_FLOORS[module], module
    return FLOORS[package], package


def uphill(graph: dict[str, set[str]]) -> list[str]:
    """The imports that break the layering, ``"a -> b (floor 2 -> 2)"``."""
    found = []
    for module, deps in sorted(graph.items()):
        floor, package = floor_of(module)
        for dep in sorted(deps):
            dep_floor, dep_package = floor_of(dep)
            if dep_package == package or dep_floor < floor or (dep_floor == floor and floor in SHARED):
                continue
            found.append(f"{module} -> {dep} (floor {floor} -> {dep_floor})")
    return found


def test_every_module_has_a_floor():
    graph = module_graph(REPO / "plugins")
    packages = {m.split(".")[1] for m in graph if "." in m}
    assert packages - set(FLOORS) == set(), "give each new package a floor here and in docs/ARCHITECTURE.md"


def test_dependencies_run_downhill():
    graph = module_graph(REPO / "plugins")
    assert "gxq.petitions.pipeline" in graph and "gxq.flow" in graph  # the graph is read
    assert uphill(graph) == []


def test_the_layering_fails_on_a_capability_importing_another(tmp_path):
    pkg = tmp_path / "gxq"
    for sub in ("petitions", "publicity", "notify"):
        (pkg / sub).mkdir(parents=True)
        (pkg / sub / "__init__.py").write_text("")
    (pkg / "__init__.py").write_text("")
    (pkg / "carried.py").write_text("def lines():\n    from gxq.publicity import line\n")
    (pkg / "publicity" / "line.py").write_text("from gxq import notify\n")
    (pkg / "petitions" / "pipeline.py").write_text(
        "def f():\n    from gxq.publicity import line  # deferred\n"
    )
    (pkg / "notify" / "outbox.py").write_text("from gxq import carried\n")
    assert uphill(module_graph(tmp_path)) == [
        "gxq.notify.outbox -> gxq.carried (floor 1 -> 4)",
        "gxq.petitions.pipeline -> gxq.publicity.line (floor 2 -> 2)",
    ]
