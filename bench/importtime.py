"""What each DAG file imports beyond a minimal TaskFlow DAG, and what each task's own module
imports beyond ``airflow.sdk`` when the task starts: ``.venv/bin/python -m bench.importtime``.

Process timing cannot resolve the issue's 50 ms on a loaded 2-core machine (one
``import airflow.sdk`` varies by seconds), so this compares ``python -X importtime`` of each file
with that of a minimal DAG using the same ``airflow.sdk`` names (``airflow.sdk`` is lazy: ``@dag``
and ``@task`` import ~50 more modules that any TaskFlow DAG needs) and sums the self time of the
modules only the file imports, the project's own (``gxq.*``) shown apart.
"""

from __future__ import annotations

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


# A task imports its step's module when it runs (the DAG files import only thin step wrappers):
# ``from gxq.<package> import <module>`` inside a function of a DAG file or of a step module.
_TASK_IMPORT = re.compile(r"^\s+from (gxq[\w.]*) import (\w+)", re.MULTILINE)
TASK_GOAL_MS = 200


def task_modules() -> list[str]:
    """The modules the DAGs' tasks import when they start (found in the DAG files and step modules)."""
    found = set()
    sources = [*(common.REPO / "dags").glob("*.py"), *(common.PLUGINS / "gxq").rglob("tasks.py"),
               *(common.PLUGINS / "gxq").rglob("steps.py")]
    for path in sources:
        for package, name in _TASK_IMPORT.findall(path.read_text(encoding="utf-8")):
            module = f"{package}.{name}"
            is_module = (common.PLUGINS / module.replace(".", "/")).with_suffix(".py").is_file() or \
                (common.PLUGINS / module.replace(".", "/") / "__init__.py").is_file()
            found.add(module if is_module else package)
    return sorted(found)


def task_extra(module: str, base: dict[str, int]) -> tuple[int, float, list[tuple[str, float]]]:
    """(modules, their import ms, the five costliest top-level packages) that importing ``module``
    adds to ``import airflow.sdk``."""
    got = {k: v for k, v in imports(["-c", f"import airflow.sdk; import {module}"]).items() if k not in base}
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
    print("| task module | modules beyond airflow.sdk | their import time ms | costliest packages ms | goal |")
    print("| --- | ---: | ---: | --- | --- |")
    for module in task_modules():
        n, total, top = task_extra(module, sdk)
        heavy = ", ".join(f"{k} {v:.0f}" for k, v in top)
        ok = "yes" if total <= TASK_GOAL_MS else "**no**"
        print(f"| {module} | {n} | {total:.1f} | {heavy} | {ok} (<= {TASK_GOAL_MS} ms) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
