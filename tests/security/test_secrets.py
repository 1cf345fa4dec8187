"""No secret in the repository, none printed: the tracked tree is grepped for secret patterns, the
demo secrets of .env.example must be placeholders, connection descriptions never carry the
password, and the compose UI has no default credentials."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import yaml

from tests.conftest import REPO
from tests.reliability import figures

PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
    "password in a URI": re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s:/@'\"?{]+:([^\s@/'\"?{}]+)@[\w.-]+", re.IGNORECASE),
    # 32 random bytes in urlsafe base64: mixed case and digits (an upper-case variable name of 43
    # characters before its "=", e.g. AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS=, is not one)
    "Fernet key": re.compile(r"(?<![A-Za-z0-9_-])(?=[A-Za-z0-9_-]{0,42}[a-z])(?=[A-Za-z0-9_-]{0,42}[0-9])"
                             r"[A-Za-z0-9_-]{43}=(?![A-Za-z0-9_=-])"),
    "AWS key": re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    "Slack/GitHub token": re.compile(r"\b(?:xox[abp]-[0-9A-Za-z-]{10,}|gh[pousr]_[0-9A-Za-z]{30,})\b"),
}
# A URI password that is a placeholder or an interpolation, not a secret.
PLACEHOLDER = re.compile(r"^(?:\$\{?[^}]*\}?|\$\$\{?[^}]*\}?|<[^>]*>|\{[^}]*\}|%\(?\w*\)?s?|\*+|x+|pass(?:word)?|"
                         r"secret|changeme|user|token|pw|\.\.\.|…)$", re.IGNORECASE)


# Reviewed: fake credentials that tests feed to the parsers on purpose (never valid anywhere).
ALLOWED_HITS = {
    ("tests/foundation/test_connections.py", "postgresql+psycopg2://u:p%40ss@127.0.0.1"): "URI parser test value",
    ("tests/publicity/test_wechat.py", "https://wxid:se%2Fcret@api.example.cn"): "WeChat connection parser test value",
}


SELF = "tests/security/test_secrets.py"


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, check=True, capture_output=True).stdout
    return [p for p in out.decode().split("\0") if p]


def scan_text(text: str) -> list[tuple[str, str]]:
    found = []
    for name, rx in PATTERNS.items():
        for m in rx.finditer(text):
            if name == "password in a URI" and PLACEHOLDER.match(m.group(1)):
                continue
            found.append((name, m.group(0)[:80]))
    return found


def test_the_scanner_finds_what_it_looks_for():
    leaky = ("postgresql://gxq:S3cr3tPassw0rd@db.example.cn/gxq_ops\n-----BEGIN RSA PRIVATE KEY-----\n"
             "AIRFLOW__CORE__FERNET_KEY=ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=\n")
    assert {n for n, _ in scan_text(leaky)} == {"password in a URI", "private key", "Fernet key"}
    assert scan_text("postgresql://airflow:${AIRFLOW_DB_PASSWORD:?set it}@postgres/airflow") == []
    assert scan_text("export AIRFLOW__DATABASE__SQL_ALCHEMY_CONNECT_ARGS=gxq.connections.X") == []
    assert scan_text("mailto://user:pass@smtp.example.com?to=x@y.cn") == []


def test_no_secret_in_the_tracked_tree():
    files = tracked_files()
    assert len(files) > 50
    hits = []
    for rel in files:
        path = REPO / rel
        if rel == SELF:  # the scanner's own self-test samples (fake, built to be found)
            continue
        if not path.is_file() or path.suffix in {".png", ".jpg", ".ttf", ".otf", ".woff", ".ico", ".pdf", ".docx",
                                                  ".xlsx", ".db", ".lock"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        hits += [f"{rel}: {name}: {snippet}" for name, snippet in scan_text(text) if (rel, snippet) not in ALLOWED_HITS]
    figures.record("security", "tracked_files_scanned", len(files))
    figures.record("security", "secrets_found_in_repo", len(hits))
    assert hits == []
    assert ".env" not in files, ".env must never be committed"


def test_env_example_secrets_are_placeholders():
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    values = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    secret_keys = [k for k in values if re.search(r"PASSWORD|SECRET|FERNET|TOKEN|KEY$", k)]
    assert len(secret_keys) >= 5, secret_keys
    for key in secret_keys:
        value = values[key].strip().strip("'\"")
        assert value == "" or re.fullmatch(r"<[^>]+>", value), f".env.example {key}={value!r} is not a placeholder"


def test_compose_has_no_default_credentials():
    text = (REPO / "docker-compose.yaml").read_text(encoding="utf-8")
    compose = yaml.safe_load(text)
    assert compose
    # every secret is required from .env (${VAR:?...}), never defaulted (${VAR:-value})
    for var in re.findall(r"\$\{([A-Z_]*(?:PASSWORD|SECRET|FERNET_KEY|USERNAME)[A-Z_]*)([^}]*)\}", text):
        name, rest = var
        assert not rest.startswith(":-") and not rest.startswith("-"), f"{name} has a default in docker-compose.yaml"
    assert "SIMPLE_AUTH_MANAGER_ALL_ADMINS" not in text or re.search(
        r"SIMPLE_AUTH_MANAGER_ALL_ADMINS:\s*['\"]?(?:false|False)", text), "the UI would be open to anyone"
    assert not re.search(r"_AIRFLOW_WWW_USER_PASSWORD:\s*['\"]?airflow", text), "the stock airflow/airflow admin"
    assert not re.search(r"(?i)password[\"']?\s*[:=]\s*[\"']?(?:airflow|admin|changeme|123456)\b", text)
    readme = (REPO / "README.md").read_text(encoding="utf-8") + (REPO / "docs" / "distributed.md").read_text(encoding="utf-8")
    assert "AIRFLOW_ADMIN_USERNAME" in readme or "GXQ_ADMIN_PASSWORD" in readme or "users" in readme.lower()


def test_connection_descriptions_never_carry_the_password():
    from gxq.connections import parse_conn_value

    secret = "Pw-4f9a1c07e2"
    uri = parse_conn_value("dept_policy", f"postgres://reader:{secret}@db.example.cn:5432/dept_policy")
    js = parse_conn_value("gxq_ops", json.dumps({"conn_type": "postgres", "host": "h", "login": "u",
                                                 "password": secret, "schema": "gxq_ops"}))
    for spec in (uri, js):
        assert spec.password == secret
        assert secret not in spec.safe_description()
        assert secret not in repr(spec)
        assert secret not in str(spec)


def test_engine_errors_and_schema_errors_mask_the_password(pg, monkeypatch):
    """A failing connection's error and the schema check's message do not echo the password."""
    import json

    import sqlalchemy as sa
    from gxq.connections import dispose_all, engine_for
    from gxq.sql import DepartmentSchemaError, require_columns

    from tests.conftest import PG_HOST, PG_PORT

    secret = "Pw-never-print-91c2"
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_POLICY", json.dumps({
        "conn_type": "postgres", "host": PG_HOST, "port": PG_PORT, "login": "no_such_role_gxq",
        "password": secret, "schema": "postgres"}))
    dispose_all()
    engine = engine_for("dept_policy")
    assert secret not in repr(engine) and secret not in str(engine.url)
    with pytest.raises(sa.exc.OperationalError) as err, engine.connect():
        pass
    assert secret not in str(err.value)
    name = pg.create("mask")
    monkeypatch.setenv("AIRFLOW_CONN_DEPT_POLICY", json.dumps({
        "conn_type": "postgres", "host": PG_HOST, "port": PG_PORT, "login": "postgres", "password": secret,
        "schema": name}))
    dispose_all()
    with pytest.raises(DepartmentSchemaError) as err:
        require_columns(engine_for("dept_policy"), "certifications", ["cert_id"])
    assert "certifications" in str(err.value) and secret not in str(err.value)
    dispose_all()


def test_demo_generator_prints_no_password(capsys):
    """``python -m gxq.demo.generate --pg-url-prefix ...`` with a password: printed output is masked."""
    import sqlalchemy as sa
    from gxq.demo import generate

    from tests.conftest import PG_HOST, PG_PORT, PG_PREFIX, _admin_engine

    secret = "Pw-demo-print-77aa"
    # the local server trusts connections: the password is carried, not checked
    prefix = f"postgresql+psycopg2://postgres:{secret}@{PG_HOST}:{PG_PORT}/"
    db_prefix = f"{PG_PREFIX}_gen_"
    try:
        assert generate.main(["--scale", "0.01", "--pg-url-prefix", prefix, "--pg-db-prefix", db_prefix,
                              "--only", "dept_publicity", "--demo-year"]) == 0
        out = capsys.readouterr()
        assert "dept_publicity" in out.out
        assert secret not in out.out + out.err
    finally:
        from gxq.connections import dispose_all

        dispose_all()
        with _admin_engine().connect() as conn:  # the database this test made
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_prefix}dept_publicity" WITH (FORCE)'))
