"""Every command quoted in README.md and docs/ runs, so that the docs cannot drift from the code.

The commands are read from the fenced ``bash`` blocks and from inline code that starts like a
command (``python -m gxq...``, ``scripts/...``, ``airflow ...``). Each one either runs here, in the
project's environment (``source scripts/env.sh`` over a fresh AIRFLOW_HOME with a migrated SQLite
metadata DB, and the demo year as department data, made by the README's own
``python -m gxq.demo.generate --demo-year``), or matches an entry of :data:`NOT_HERE`, which says
why it cannot run on this machine. The Airflow CLI commands run in one process, one after the
other (``airflow dags test`` runs the DAG; ``airflow backfill create`` gets ``--dry-run``);
commands that need a running Airflow or build benchmark data run with ``--help``.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

# What cannot run here, and why (matched at the start of the command).
NOT_HERE = {
    r"docker compose ": "needs Docker, which this machine lacks (tests/deploy checks the compose file and image)",
    r"(curl |TOKEN=|BASE=|AUTH=)": "talks to a running api-server: the same REST calls run against a real stack "
                                   "in tests/integration/test_celery.py",
    r"ls output/": "lists what a backfill on a running stack wrote",
    r"(bash )?scripts/run\.sh": "starts Airflow until Ctrl-C (tests/integration/test_dashboard_browser.py seeds "
                                "and runs the demo as it does)",
    r"(bash )?scripts/test\.sh|\.venv/bin/pytest ": "is the test suite itself",
    r"(bash )?scripts/setup\.sh": "installs system packages and the lock: done before the suite runs",
    r"(source )?scripts/env\.sh": "the environment every command here runs in",
    r"(cp \.env\.example|mkdir -p logs)": "prepares the .env of a Docker deployment",
    r"(export AIRFLOW__CORE__FERNET_KEY|airflow rotate-fernet-key)": "rotates the Fernet key of a deployment's "
                                                                   "metadata database",
    r"airflow <command>": "a pattern, not a command",
    r"python -m bench\.importtime": "a benchmark of every DAG file's imports (two minutes here): bench/run.sh runs it",
    r"airflow standalone$": "starts Airflow until stopped (scripts/run.sh runs it)",
    r"airflow backfill create$": "names the command (its full forms are run above)",
    r"airflow connections get gxq_ops$": "checks a deployment's own connection after its Fernet key rotation",
    r"(\.venv/bin/)?python -m gxq\.calendar\.moved$": "names the tool in prose (run with a year above)",
}
# Commands that need a running Airflow or build benchmark data: their --help must work.
HELP_ONLY = (r"(bash )?bench/run\.sh", r"python -m bench\b(?!\.)", r"(\.venv/bin/)?python -m bench\.channels\b",
             r"(\.venv/bin/)?python -m bench\.urgent\b",  # builds 1M/5M databases, starts an Airflow stack
             r"python scripts/demo_trigger\.py", r"python scripts/screenshots\.py",
             r"python scripts/approvals\.py",  # answers Required Actions of a running api-server
             r"(PYTHONPATH=plugins )?(\.venv/bin/)?python -m gxq\.demo\.generate .*--(scale|pg-url-prefix|url)",
             r"(PYTHONPATH=plugins )?(\.venv/bin/)?python -m gxq\.petitions\.backtest")
PLACEHOLDER = re.compile(r"<[^>]*>|\b(FIRST|END|FIRST_DAY|END_DAY)\b|\.\.\.")
INLINE = re.compile(r"`((?:PYTHONPATH=plugins )?(?:\.venv/bin/)?python -m (?:gxq|bench)[^`]*|"
                    r"(?:bash |(?:\.venv/bin/)?python )?(?:scripts/[\w.]+\.(?:sh|py)|bench/run\.sh)(?: [^`]*)?|"
                    r"airflow [a-z][^`]*)`")


def _logical_lines(block: str) -> list[str]:
    """Commands of a shell block: continuations (``\\``) and multi-line quotes joined, comments
    (the docs write them after two spaces) and blank lines dropped."""
    out, pending = [], ""
    for raw in block.splitlines():
        line = (pending + " " + raw.strip()) if pending else raw.strip()
        if line.endswith("\\"):
            pending = line[:-1].strip()
            continue
        try:
            shlex.split(line, comments=True)
        except ValueError:  # an open quote: the command goes on
            pending = line
            continue
        pending = ""
        line = re.split(r"\s{2,}#", line, maxsplit=1)[0].strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def doc_commands() -> list[tuple[str, str]]:
    """(source, command) in document order, each command once."""
    seen, out = set(), []
    for path in DOCS:
        text = path.read_text(encoding="utf-8")
        found = []
        for m in re.finditer(r"```(?:bash|sh|shell)\n(.*?)```", text, re.DOTALL):
            found += _logical_lines(m.group(1))
        prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        found += [" ".join(m.group(1).split()) for m in INLINE.finditer(prose)]
        for cmd in found:
            # the environment puts .venv/bin on PATH and plugins/ on PYTHONPATH: one command, one run
            cmd = re.sub(r"^(PYTHONPATH=plugins )?(\.venv/bin/)?(?=python )", "", cmd)
            cmd = re.sub(r"^(?=scripts/\w+\.py)", "python ", cmd)
            if cmd not in seen:
                seen.add(cmd)
                out.append((path.relative_to(REPO).as_posix(), cmd))
    return out


def classify(cmd: str) -> tuple[str, str]:
    """("skip", reason) | ("help", cmd --help) | ("airflow", cmd) | ("shell", cmd)."""
    for pattern, reason in NOT_HERE.items():
        if re.match(pattern, cmd):
            return "skip", reason
    if PLACEHOLDER.search(cmd):
        return "skip", "has placeholders for the reader to fill in"
    if any(re.match(p, cmd) for p in HELP_ONLY):
        return "help", cmd + " --help"
    if cmd.startswith("airflow "):
        return "airflow", cmd
    return "shell", cmd


def test_every_quoted_command_is_run_or_explained():
    cmds = doc_commands()
    assert len(cmds) > 30, cmds  # the extraction found the docs' commands
    kinds = {kind for _, cmd in cmds for kind, _ in [classify(cmd)]}
    assert kinds == {"skip", "help", "airflow", "shell"}, kinds
    wanted = {"airflow dags test", "airflow backfill create", "python -m gxq.cadences moved", "bench/run.sh"}
    assert all(any(w in cmd for _, cmd in cmds) for w in wanted), wanted


RUNNER = '''
import json, sys, traceback
from airflow.cli import cli_parser
from airflow.configuration import write_default_airflow_configuration_if_needed

write_default_airflow_configuration_if_needed()
results = []
for argv in json.load(open(sys.argv[1])):
    try:
        args = cli_parser.get_parser().parse_args(argv)
        args.func(args)
        results.append({"argv": argv, "ok": True})
    except SystemExit as exc:
        results.append({"argv": argv, "ok": exc.code in (0, None), "error": f"exit: {exc.code}"})
    except BaseException:
        results.append({"argv": argv, "ok": False, "error": traceback.format_exc()[-3000:]})
json.dump(results, open(sys.argv[2], "w"))
'''


@pytest.fixture(scope="module")
def project_env(airflow_db, tmp_path_factory):
    """``source scripts/env.sh`` over a fresh AIRFLOW_HOME, data and output folder."""
    root = tmp_path_factory.mktemp("doc_commands")
    home = root / "airflow_home"
    home.mkdir()
    shutil.copy(airflow_db, home / "airflow.db")
    keep = {k: v for k, v in os.environ.items()
            if not k.startswith(("AIRFLOW__", "AIRFLOW_CONN_", "GXQ_", "PYTEST_")) and k != "AIRFLOW_HOME"}
    env = keep | {"AIRFLOW_HOME": str(home), "GXQ_DATA_DIR": str(root / "data"), "GXQ_OUTPUT_DIR": str(root / "output"),
                  "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}"}
    # the values scripts/env.sh exports, as a command sees them after `source scripts/env.sh`
    dump = subprocess.run(["bash", "-c", "source scripts/env.sh && env -0"], cwd=REPO, env=env, check=True,
                          capture_output=True).stdout.decode()
    env = dict(line.split("=", 1) for line in dump.split("\0") if "=" in line)
    return root, env


def _shell(cmd: str, env: dict, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-c", cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                          check=False)  # the caller reports the exit code with the command


@pytest.mark.slow
def test_quoted_commands_run(project_env):
    root, env = project_env
    cmds = doc_commands()
    # The department data: the README's own demo-year command (periods of 2021, as the docs use).
    prep = _shell("python -m gxq.demo.generate --demo-year", env, REPO)
    assert prep.returncode == 0, prep.stderr[-2000:]
    assert (root / "data" / "dept_petitions.db").exists()

    failures, ran = [], []
    airflow_cmds = [cmd for _, cmd in cmds if classify(cmd)[0] == "airflow"]
    argvs = [["dags", "reserialize"]]
    for cmd in airflow_cmds:
        argv = shlex.split(cmd, comments=True)[1:]
        if argv[:2] == ["backfill", "create"]:
            argv.append("--dry-run")  # what the backfill would create, without running it
        argvs.append(argv)
    # About 90 s here; a quoted `dags test` that waits (a review step without its approval params)
    # fails the test within the timeout instead of holding CI.
    (root / "runner.py").write_text(RUNNER)
    (root / "argv.json").write_text(json.dumps(argvs))
    proc = subprocess.run([sys.executable, str(root / "runner.py"), str(root / "argv.json"), str(root / "out.json")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0 and (root / "out.json").exists(), proc.stderr[-3000:]
    for result in json.loads((root / "out.json").read_text()):
        ran.append("airflow " + shlex.join(result["argv"]))
        if not result["ok"]:
            failures.append(f"airflow {shlex.join(result['argv'])}: {result['error']}")
    # What `airflow dags test` promises in the README's comment.
    assert (root / "output" / "petition_weekly_bulletin" / "2021-W09" / "report.json").exists()

    for source, cmd in cmds:
        kind, what = classify(cmd)
        if kind in ("shell", "help"):
            done = _shell(what, env, REPO)
            ran.append(what)
            if done.returncode != 0:
                failures.append(f"{source}: {what}: exit {done.returncode}\n{done.stderr[-1500:]}")
    print("\n".join(["ran:", *ran]))
    assert not failures, "\n\n".join(failures)
