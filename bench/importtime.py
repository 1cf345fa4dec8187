"""What each DAG file imports beyond a minimal TaskFlow DAG, and what each task's own module
imports beyond ``airflow.sdk`` when the task starts: ``.venv/bin/python -m bench.importtime``.

Process timing cannot resolve the issue's 50 ms on a loaded 2-core machine (one
``import airflow.sdk`` varies by seconds), so this compares ``python -X importtime`` of each file
with that of a minimal DAG using the same ``airflow.sdk`` names (``airflow.sdk`` is lazy: ``@dag``
and ``@task`` import ~50 more modules that any TaskFlow DAG needs) and sums the self time of the
modules only the file imports, the project's own (``gxq.*``) shown apart.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

from bench import common

MINIMAL_DAG = ("from airflow.sdk import dag, task, Param, get_current_context; import pendulum\n"
               "@dag(schedule=None)\ndef d():\n    @task\n    def t(): pass\n    t()\nd()")


def imports(args: list[str]) -> dict[str, int]:
    env = common.base_env(AIRFLOW_HOME=str(common.WORK / "parse_airflow_home"), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    err = subprocess.run([common.PYTHON, "-X", "importtime", *args], env=env, cwd=common.REPO,
                         capture_output=True, text=True, check=True).stderr
    out = {}
    for line in err.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
        if m:
            out[m.group(3)] = int(m.group(1))
    return out


def extra(path: str, base: dict[str, int]) -> tuple[int, float, float]:
    """(modules, their import ms, of which gxq.* ms) that the DAG file at ``path`` imports beyond ``base``."""
    got = {k: v for k, v in imports([path]).items() if k not in base}
    return len(got), sum(got.values()) / 1000, sum(v for k, v in got.items() if k.startswith("gxq")) / 1000


TASK_GOAL_MS = 200


def _imports_in(fn) -> list[str]:
    """The modules the function's body imports (``import a.b``; ``from a import b``: ``a.b`` when
    that is a module, else ``a``), in order: what the callable imports when its task starts."""
    import ast
    import importlib.util
    import inspect
    import textwrap

    tree = ast.parse(textwrap.dedent(inspect.getsource(fn)))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            for a in node.names:
                name = f"{node.module}.{a.name}"
                try:
                    found.append(name if importlib.util.find_spec(name) else node.module)
                except ModuleNotFoundError:
                    found.append(node.module)
    return list(dict.fromkeys(found))


def _starts() -> list[dict]:
    """Run in a child process (``python -m bench.importtime --tasks``): every DAG file loaded, and
    for each of its tasks what the task's callable imports when it starts. A step of the step
    contract (:mod:`gxq.flow`) imports its capability's ``gxq.<area>.pipeline``; any other
    callable (a DAG file's own step, an operator's ``execute``) imports what its body imports."""
    import inspect

    from airflow.dag_processing.dagbag import DagBag
    from gxq import flow

    bag = DagBag(dag_folder=str(common.REPO / "dags"), safe_mode=False)
    if bag.import_errors:
        raise RuntimeError(f"DAG files that do not load: {bag.import_errors}")
    out = []
    for _dag_id, dag in sorted(bag.dags.items()):
        if True:
            for task in sorted(dag.tasks, key=lambda t: t.task_id):
                fn = getattr(task, "python_callable", None) or type(task).execute
                fn = inspect.unwrap(fn)
                if fn.__module__ == flow.__name__:
                    modules = [flow.pipeline_name(dag.dag_id)]
                else:
                    modules = [m for m in _imports_in(fn) if m != "airflow.sdk"]
                out.append({"dag_id": dag.dag_id, "task_id": task.task_id, "modules": modules})
    return out


def task_starts() -> list[dict]:
    """``{"dag_id", "task_id", "modules"}`` of every task of the DAGs in dags/: the modules its
    callable imports when the task starts (found by loading the DAG files in a fresh process)."""
    env = common.base_env(AIRFLOW_HOME=str(common.WORK / "parse_airflow_home"), AIRFLOW__CORE__LOAD_EXAMPLES="False")
    out = subprocess.run([common.PYTHON, "-m", "bench.importtime", "--tasks"], env=env, cwd=common.REPO,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def task_extra(modules: list[str], base: dict[str, int]) -> tuple[int, float, list[tuple[str, float]]]:
    """(modules, their import ms, the five costliest top-level packages) that importing ``modules``
    adds to ``import airflow.sdk`` (``base``: its own modules)."""
    code = "; ".join(["import airflow.sdk", *(f"import {m}" for m in modules)])
    got = {k: v for k, v in imports(["-c", code]).items() if k not in base}
    packages: dict[str, int] = {}
    for k, v in got.items():
        packages[k.split(".")[0]] = packages.get(k.split(".")[0], 0) + v
    top = sorted(packages.items(), key=lambda kv: -kv[1])[:5]
    return len(got), sum(got.values()) / 1000, [(k, v / 1000) for k, v in top]


def main() -> int:
    common.WORK.mkdir(parents=True, exist_ok=True)
    base = imports(["-c", MINIMAL_DAG])
    print("| DAG file | modules beyond a minimal TaskFlow DAG | their import time ms | of which gxq.* ms | goal |")
    print("| --- | ---: | ---: | ---: | --- |")
    for f in sorted((common.REPO / "dags").glob("*.py")):
        n, total, own = extra(str(f.relative_to(common.REPO)), base)
        print(f"| dags/{f.name} | {n} | {total:.1f} | {own:.1f} | {'yes' if total <= 50 else '**no**'} (<= 50 ms) |")
    print()
    sdk = imports(["-c", "import airflow.sdk"])
    print("| DAG | task | imports when it starts | modules beyond airflow.sdk | their import time ms | costliest packages ms | goal |")
    print("| --- | --- | --- | ---: | ---: | --- | --- |")
    measured: dict[tuple[str, ...], tuple] = {}
    for t in task_starts():
        key = tuple(t["modules"])
        if key not in measured:
            measured[key] = task_extra(t["modules"], sdk)
        n, total, top = measured[key]
        heavy = ", ".join(f"{k} {v:.0f}" for k, v in top)
        ok = "yes" if total <= TASK_GOAL_MS else "**no**"
        print(f"| {t['dag_id']} | {t['task_id']} | {', '.join(key)} | {n} | {total:.1f} | {heavy} | {ok} (<= {TASK_GOAL_MS} ms) |")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--tasks"]:
        print(json.dumps(_starts()))
        sys.exit(0)
    sys.exit(main())
