"""docker-compose.yaml, Dockerfile and .env.example: the production shape, checked without Docker.

The compose file is interpolated the way ``docker compose`` does it (``${VAR}``, ``${VAR:-default}``,
``${VAR:?message}``, ``$$``) with the values of ``.env.example`` (placeholders replaced by dummy
secrets), then validated against the Compose Specification's JSON schema (tests/deploy/compose-spec.json).
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yaml"
DOCKERFILE = REPO / "Dockerfile"
ENV_EXAMPLE = REPO / ".env.example"
SCHEMA_CANDIDATES = (Path(__file__).with_name("compose-spec.json"),)

REQUIRED_SERVICES = {
    "postgres", "redis", "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
    "airflow-worker", "airflow-triggerer", "airflow-init", "dept-db", "demo-seed",
}
AIRFLOW_SERVICES = {
    "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-worker", "airflow-triggerer",
    "airflow-init",
}
LONG_RUNNING = AIRFLOW_SERVICES - {"airflow-init"} | {"postgres", "redis", "dept-db"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|_KEY$", re.IGNORECASE)
# ${NAME}, ${NAME:-x}, ${NAME-x}, ${NAME:?x}, ${NAME?x}, $NAME; "$$" is a literal "$".
VAR_RE = re.compile(r"\$\$|\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<arg>[^}]*)\}|\$(?P<plain>[A-Za-z_][A-Za-z0-9_]*)")


class MissingVariable(KeyError):
    pass


def interpolate(text: str, env: dict[str, str]) -> str:
    def sub(m: re.Match) -> str:
        if m.group(0) == "$$":
            return "$"
        name = m.group("braced") or m.group("plain")
        op, arg = m.group("op"), m.group("arg") or ""
        value = env.get(name)
        if op in (":-", "-"):
            if value is None or (op == ":-" and value == ""):
                return interpolate(arg, env)
            return value
        if op in (":?", "?"):
            if value is None or (op == ":?" and value == ""):
                raise MissingVariable(f"{name}: {arg}")
            return value
        if op in (":+", "+"):
            return interpolate(arg, env) if value else ""
        return value or ""

    return VAR_RE.sub(sub, text)


def interpolate_tree(node, env):
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolate_tree(x, env) for x in node]
    if isinstance(node, dict):
        return {k: interpolate_tree(v, env) for k, v in node.items()}
    return node


def strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for x in node:
            yield from strings(x)
    elif isinstance(node, dict):
        for v in node.values():
            yield from strings(v)


def variables_used(raw: str) -> dict[str, set[str]]:
    """{VAR: {operators it is used with ('' for none)}} in the compose file's values (what
    compose interpolates: not the comments)."""
    used: dict[str, set[str]] = {}
    for m in VAR_RE.finditer("\n".join(strings(yaml.safe_load(raw)))):
        if m.group(0) == "$$":
            continue
        name = m.group("braced") or m.group("plain")
        used.setdefault(name, set()).add(m.group("op") or "")
    return used


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, value = line.partition("=")
        values[name.strip()] = value.strip()
    return values


def dummy_env() -> dict[str, str]:
    """.env.example with every <placeholder> replaced by a dummy value of the right shape."""
    env = {}
    for name, value in env_example().items():
        if value.startswith("<"):
            value = "dummy" + re.sub(r"[^0-9a-f]", "", name.lower().encode().hex())[:24]
        env[name] = value
    return env


@pytest.fixture(scope="module")
def raw() -> str:
    return COMPOSE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose(raw) -> dict:
    return interpolate_tree(yaml.safe_load(raw), dummy_env())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def locked_version(package: str) -> str:
    lock = tomllib.loads((REPO / "uv.lock").read_text(encoding="utf-8"))
    versions = {p["version"] for p in lock["package"] if p["name"] == package}
    assert len(versions) == 1, f"{package} in uv.lock: {versions}"
    return versions.pop()


def env_of(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


# --- the tests ---------------------------------------------------------------------------------
def test_compose_file_is_valid_against_the_compose_spec(compose):
    import jsonschema

    schema_path = next((p for p in SCHEMA_CANDIDATES if p.exists()), None)
    assert schema_path, f"compose-spec.json not found in {SCHEMA_CANDIDATES}"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(compose), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:20])


def test_the_schema_check_catches_a_broken_file(compose):
    import jsonschema

    schema_path = next(p for p in SCHEMA_CANDIDATES if p.exists())
    broken = json.loads(json.dumps(compose))
    broken["services"]["airflow-worker"]["depends_on"]["redis"]["condition"] = "whenever"
    broken["services"]["airflow-worker"]["comand"] = "celery worker"  # a typo: unknown key
    errors = list(jsonschema.Draft7Validator(json.loads(schema_path.read_text())).iter_errors(broken))
    assert len(errors) >= 2


def test_every_variable_used_is_listed_in_env_example_and_vice_versa(raw):
    used = set(variables_used(raw))
    listed = set(env_example())
    assert used - listed == set(), f"used in docker-compose.yaml but not in .env.example: {sorted(used - listed)}"
    assert listed - used == set(), f"listed in .env.example but unused: {sorted(listed - used)}"


def test_secrets_have_no_default_and_no_literal_value(raw):
    used = variables_used(raw)
    secret_vars = {name for name in used if SECRET_NAME.search(name)}
    assert {"AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD", "AIRFLOW_DB_PASSWORD"} <= secret_vars
    for name in sorted(secret_vars):
        assert used[name] <= {":?", "?"}, f"${{{name}}} must be required (${{{name}:?...}}), used as {used[name]}"
    # No literal secret anywhere: every secret-looking setting takes its value from a variable.
    doc = yaml.safe_load(raw)
    offenders = []

    def walk(node, path):
        if isinstance(node, dict):
            for k, v in node.items():
                if (
                    isinstance(k, str) and SECRET_NAME.search(k) and isinstance(v, str) and "${" not in v
                    and not k.endswith("_FILE")
                ):
                    offenders.append(f"{'.'.join(path + [k])}={v}")
                walk(v, path + [str(k)])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, path + [str(i)])

    walk(doc, [])
    assert not offenders, offenders
    assert not re.search(r"postgres(ql)?(\+psycopg2)?://[^:@/\s]+:(?!\$\$?\{)[^@\s]+@", raw), "password literal in a URL"
    example = env_example()
    for name in secret_vars:
        assert re.fullmatch(r"<[^>]+>", example[name]), f".env.example must hold a placeholder for {name}"


def test_a_missing_secret_stops_compose_with_its_name(raw):
    env = dummy_env()
    del env["AIRFLOW_JWT_SECRET"]
    with pytest.raises(MissingVariable, match="AIRFLOW_JWT_SECRET"):
        interpolate_tree(yaml.safe_load(raw), env)


def test_env_example_says_how_to_generate_each_secret():
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert "Fernet.generate_key()" in text
    assert "secrets.token_urlsafe" in text and "openssl rand -hex" in text
    from cryptography.fernet import Fernet

    Fernet(Fernet.generate_key())  # the documented command works with the installed library


def test_image_airflow_version_equals_the_locked_one(services):
    locked = locked_version("apache-airflow")
    docker = DOCKERFILE.read_text(encoding="utf-8")
    bases = re.findall(r"^FROM\s+apache/airflow:(\S+)", docker, re.MULTILINE)
    assert bases, "the image must extend apache/airflow"
    for tag in bases:
        version, _, python = tag.partition("-python")
        assert version == locked, f"Dockerfile FROM apache/airflow:{tag}, uv.lock has {locked}"
        requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
        assert python and python in requires, f"image Python {python} vs requires-python {requires}"
    arg = re.search(r"^ARG AIRFLOW_VERSION=(\S+)", docker, re.MULTILINE)
    assert arg and arg.group(1) == locked
    for name in AIRFLOW_SERVICES:
        svc = services[name]
        assert svc["build"]["context"] == "." and svc["build"].get("dockerfile", "Dockerfile") == "Dockerfile"
        assert svc["image"].endswith(":" + locked), svc["image"]


def test_image_installs_the_locked_requirements():
    docker = DOCKERFILE.read_text(encoding="utf-8")
    assert "COPY pyproject.toml uv.lock" in docker
    assert re.search(r"uv export --frozen --no-dev", docker)
    assert re.search(r"pip install .*-r /opt/airflow/requirements\.lock\.txt", docker)
    uv_tag = re.search(r"ghcr.io/astral-sh/uv:(\S+)", docker)
    assert uv_tag, "uv pinned to a version"
    # the export really works on this lock, with this uv
    uv = subprocess.run(["uv", "--version"], capture_output=True, text=True, check=False)
    if uv.returncode == 0:
        out = subprocess.run(
            ["uv", "export", "--frozen", "--no-dev", "--no-hashes", "--no-emit-project", "--format", "requirements-txt"],
            cwd=REPO, capture_output=True, text=True, check=True,
        ).stdout
        assert f"apache-airflow=={locked_version('apache-airflow')}" in out
        assert "apache-airflow-providers-celery==" in out and "psycopg2-binary==" in out
        assert "pytest==" not in out, "dev dependencies stay out of the image"


def test_required_services_and_celery_executor(services):
    assert REQUIRED_SERVICES <= set(services), sorted(REQUIRED_SERVICES - set(services))
    commands = {name: services[name].get("command") for name in AIRFLOW_SERVICES}
    assert commands["airflow-apiserver"] == "api-server"
    assert commands["airflow-scheduler"] == "scheduler"
    assert commands["airflow-dag-processor"] == "dag-processor"
    assert commands["airflow-worker"] == "celery worker"
    assert commands["airflow-triggerer"] == "triggerer"
    shared = None
    for name in AIRFLOW_SERVICES:
        env = env_of(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://airflow:"), name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://:"), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://airflow-apiserver:8080/execution/"
        keys = (env["AIRFLOW__API_AUTH__JWT_SECRET"], env["AIRFLOW__CORE__FERNET_KEY"], env["AIRFLOW__API__SECRET_KEY"])
        assert all(keys), name
        shared = shared or keys
        assert keys == shared, f"{name} must share the JWT secret, Fernet key and API secret"


def test_worker_is_scalable(services):
    worker = services["airflow-worker"]
    assert "container_name" not in worker
    assert "ports" not in worker, "published ports would clash between replicas"
    assert worker.get("healthcheck"), "each replica reports its health"
    assert "celery@$${HOSTNAME}" in COMPOSE.read_text(encoding="utf-8")


def test_long_running_services_have_healthchecks_and_restart(services):
    for name in LONG_RUNNING:
        assert services[name].get("healthcheck", {}).get("test"), name
        assert services[name].get("restart") == "always", name
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        deps = services[name]["depends_on"]
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name
        assert deps["postgres"]["condition"] == "service_healthy", name


def test_project_folders_are_mounted(services):
    for name in AIRFLOW_SERVICES | {"demo-seed"}:
        targets = {v.split(":")[1] for v in services[name]["volumes"]}
        for folder in ("dags", "plugins", "include", "output"):
            assert f"/opt/airflow/{folder}" in targets, (name, folder)
    for folder in ("dags", "plugins", "include"):
        assert (REPO / folder).is_dir()


def test_users_come_from_env_with_a_password_file(services, compose):
    env = env_of(services["airflow-apiserver"])
    assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("SimpleAuthManager")
    dummy = dummy_env()
    assert env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] == (
        f"{dummy['AIRFLOW_ADMIN_USERNAME']}:admin,{dummy['AIRFLOW_OPS_USERNAME']}:op"
    )
    pw_file = env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE"]
    assert "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS" not in env
    init = services["airflow-init"]
    init_env = env_of(init)
    assert init_env["GXQ_ADMIN_PASSWORD"] == dummy["AIRFLOW_ADMIN_PASSWORD"]
    script = "\n".join(init["command"])
    assert pw_file in script and "json.dump" in script and "0o600" in script
    assert "/entrypoint airflow version" in script and init_env["_AIRFLOW_DB_MIGRATE"] == "true"
    # the password file lives on a volume only airflow-init and the api-server mount
    holders = {n for n, s in services.items() if any(v.startswith("airflow-auth:") for v in s.get("volumes", []))}
    assert holders == {"airflow-init", "airflow-apiserver"}
    for name in AIRFLOW_SERVICES - {"airflow-init"}:
        assert "GXQ_ADMIN_PASSWORD" not in env_of(services[name]), "passwords reach only airflow-init"
    for name in AIRFLOW_SERVICES - {"airflow-apiserver"}:
        # a service without the volume must not point the auth manager at a file it cannot have
        assert "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" not in env_of(services[name]), name


def test_the_init_script_writes_a_password_file_the_auth_manager_reads(services, tmp_path):
    """Run airflow-init's Python snippet for real and read the file back as the auth manager does."""
    script = services["airflow-init"]["command"][1]
    snippet = script.split("<<'PY'\n", 1)[1].split("\nPY\n", 1)[0]
    target = tmp_path / "passwords.json"
    snippet = snippet.replace("/opt/airflow/auth/passwords.json", str(target))
    env = {"GXQ_ADMIN_USERNAME": "zone_admin", "GXQ_ADMIN_PASSWORD": "a" * 16,
           "GXQ_OPS_USERNAME": "zone_ops", "GXQ_OPS_PASSWORD": "b" * 16, "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", snippet], env=env, check=True, capture_output=True)
    assert json.loads(target.read_text()) == {"zone_admin": "a" * 16, "zone_ops": "b" * 16}
    assert target.stat().st_mode & 0o777 == 0o600
    env["GXQ_OPS_PASSWORD"] = "short"
    weak = subprocess.run([sys.executable, "-c", snippet], env=env, capture_output=True, text=True, check=False)
    assert weak.returncode != 0 and "12 characters" in weak.stderr


def test_five_connections_point_at_the_department_server(services):
    from gxq.connections import ALL_CONN_IDS, parse_conn_value

    dummy = dummy_env()
    for name in AIRFLOW_SERVICES:
        env = env_of(services[name])
        for conn_id in ALL_CONN_IDS:
            value = env[f"AIRFLOW_CONN_{conn_id.upper()}"]
            spec = parse_conn_value(conn_id, value)
            assert spec.conn_type == "postgres" and spec.host == dummy["DEPT_DB_HOST"] and spec.port == 5432
            assert spec.schema == conn_id
            if conn_id.startswith("dept_"):
                assert (spec.login, spec.password) == ("gxq_reader", dummy["DEPT_READER_PASSWORD"])
            else:
                assert (spec.login, spec.password) == ("gxq_ops", dummy["GXQ_OPS_DB_PASSWORD"])
            assert spec.sqlalchemy_url().startswith("postgresql+psycopg2://")


def test_department_server_roles_match_the_connections(compose):
    init = compose["configs"]["dept-db-init"]["content"]
    assert "CREATE ROLE gxq_reader LOGIN PASSWORD :'reader_pw'" in init
    assert "CREATE ROLE gxq_ops LOGIN PASSWORD :'ops_pw'" in init
    assert "default_transaction_read_only = on" in init
    assert "GRANT SELECT ON TABLES TO gxq_reader" in init
    for db in ("dept_petitions", "dept_policy", "dept_innovation", "dept_publicity", "dept_supervision", "gxq_ops"):
        assert f"CREATE DATABASE {db}" in init
    assert '${DEPT_READER_PASSWORD}' in init, "the script reads the password from the container env at run time"
    dept_env = env_of(compose["services"]["dept-db"])
    assert {"POSTGRES_PASSWORD", "DEPT_READER_PASSWORD", "GXQ_OPS_DB_PASSWORD"} <= set(dept_env)
    mounts = compose["services"]["dept-db"]["configs"]
    assert mounts[0]["target"].startswith("/docker-entrypoint-initdb.d/")


def test_demo_seed_runs_the_generator_with_options_it_accepts(services):
    seed = services["demo-seed"]
    assert seed["depends_on"]["dept-db"]["condition"] == "service_healthy"
    assert seed["restart"] == "no"
    command = seed["command"][-1]
    env = env_of(seed)
    expanded = interpolate(command, env)  # the container's shell expands $VAR at run time
    argv = shlex.split(expanded.removeprefix("exec "))
    assert argv[:3] == ["python", "-m", "gxq.demo.generate"]
    assert f"postgresql+psycopg2://postgres:{dummy_env()['DEPT_DB_ADMIN_PASSWORD']}@dept-db:5432/" in argv
    help_text = subprocess.run(
        [sys.executable, "-m", "gxq.demo.generate", "--help"], cwd=REPO, env={"PYTHONPATH": str(REPO / "plugins")},
        capture_output=True, text=True, check=True,
    ).stdout
    for option in (a for a in argv if a.startswith("--")):
        assert option in help_text, option
    assert services["airflow-worker"]["depends_on"]["demo-seed"]["condition"] == "service_completed_successfully"


def test_notifications_config_points_at_a_shipped_file(services):
    env = env_of(services["airflow-worker"])
    path = env["GXQ_APPRISE_CONFIG"]
    assert path.startswith("/opt/airflow/include/")
    assert (REPO / path.removeprefix("/opt/airflow/")).is_file()


def test_build_context_leaves_out_secrets_and_local_environments():
    ignored = {
        line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".env", ".venv", ".git", "data", "output"} <= ignored
    docker = DOCKERFILE.read_text(encoding="utf-8")
    for folder in ("dags", "plugins", "include"):
        assert folder not in ignored and f"COPY --chown=airflow:0 {folder}/" in docker
