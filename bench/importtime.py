"""What each DAG file imports beyond a minimal TaskFlow DAG: ``.venv/bin/python -m bench.importtime``.

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


def main() -> int:
    common.WORK.mkdir(parents=True, exist_ok=True)
    base = imports(["-c", MINIMAL_DAG])
    print("| DAG file | modules beyond a minimal TaskFlow DAG | their import time ms | of which gxq.* ms | goal |")
    print("| --- | ---: | ---: | ---: | --- |")
    for f in sorted((common.REPO / "dags").glob("*.py")):
        n, total, own = extra(str(f.relative_to(common.REPO)), base)
        print(f"| dags/{f.name} | {n} | {total:.1f} | {own:.1f} | {'yes' if total <= 50 else '**no**'} (<= 50 ms) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
