"""DDL of the five department databases exactly as docs/reference.md shapes them.

Used by the demo generator and by tests to build department databases. Timestamps are
``TIMESTAMP WITHOUT TIME ZONE`` on PostgreSQL and ``'YYYY-MM-DD HH:MM:SS'`` text on SQLite.
The project itself never runs this against a real department database.
"""

from __future__ import annotations

import sqlalchemy as sa

TYPES = {
    "sqlite": {"TS": "TEXT", "DATE": "TEXT", "BOOL": "INTEGER", "NUM": "NUMERIC", "INT": "INTEGER"},
    "postgresql": {"TS": "TIMESTAMP WITHOUT TIME ZONE", "DATE": "DATE", "BOOL": "BOOLEAN", "NUM": "NUMERIC",
                   "INT": "INTEGER"},
}

DDL: dict[str, list[str]] = {
    "dept_petitions": [
        "CREATE TABLE units (unit_code TEXT PRIMARY KEY, unit_name TEXT)",
        """CREATE TABLE petitions (
            petition_id TEXT PRIMARY KEY, received_at {TS}, channel TEXT, kind TEXT, topic TEXT,
            street TEXT, is_urgent {BOOL}, citizen_name TEXT, citizen_phone TEXT, content TEXT,
            dispatch_due_at {TS}, dispatched_at {TS}, feedback_due_at {TS}, feedback_at {TS},
            closed_at {TS}, status TEXT, satisfaction TEXT, revisited_at {TS})""",
        "CREATE TABLE petition_units (petition_id TEXT, unit_code TEXT, role TEXT)",
    ],
    "dept_policy": [
        ("CREATE TABLE enterprises (credit_code TEXT PRIMARY KEY, name TEXT, street TEXT, abnormal {BOOL},"
        " dishonest {BOOL})"),
        ("CREATE TABLE certifications (cert_id TEXT PRIMARY KEY, credit_code TEXT, cert_type TEXT,"
        " certified_on {DATE}, expires_on {DATE})"),
        ("CREATE TABLE applications (application_id TEXT PRIMARY KEY, credit_code TEXT, policy_id TEXT,"
        " submitted_at {TS}, amount_requested {NUM}, status TEXT, approved_at {TS})"),
        ("CREATE TABLE commitments (commitment_id TEXT PRIMARY KEY, credit_code TEXT, kind TEXT,"
        " promised_amount {NUM}, due_on {DATE}, fulfilled_amount {NUM})"),
    ],
    "dept_innovation": [
        "CREATE TABLE projects (project_id TEXT PRIMARY KEY, name TEXT, responsible_unit TEXT, start_on {DATE})",
        ("CREATE TABLE project_monthly (project_id TEXT, month TEXT, plan_progress_pct {NUM},"
        " actual_progress_pct {NUM}, reported_at {TS})"),
        "CREATE TABLE indicators (indicator_code TEXT PRIMARY KEY, name TEXT, weight {NUM}, annual_target {NUM})",
        "CREATE TABLE indicator_monthly (indicator_code TEXT, month TEXT, value_ytd {NUM})",
    ],
    "dept_publicity": [
        "CREATE TABLE wechat_posts (post_id TEXT PRIMARY KEY, published_at {TS}, title TEXT, unit_code TEXT)",
        ("CREATE TABLE info_submissions (submission_id TEXT PRIMARY KEY, submitted_at {TS}, title TEXT,"
        " agency TEXT, unit_code TEXT)"),
    ],
    "dept_supervision": [
        ("CREATE TABLE plan_targets (target_id TEXT PRIMARY KEY, item TEXT, title TEXT, unit_code TEXT,"
         " measure TEXT, target_value {NUM}, start_on {DATE}, due_on {DATE}, curve TEXT)"),
        "CREATE TABLE plan_milestones (target_id TEXT, due_on {DATE}, value {NUM})",
        "CREATE TABLE plan_progress (target_id TEXT, reported_on {DATE}, value_cumulative {NUM}, note TEXT)",
        "CREATE TABLE assessment_rounds (round TEXT PRIMARY KEY, published_on {DATE})",
        "CREATE TABLE assessment_indicators (indicator_code TEXT PRIMARY KEY, name TEXT, unit_code TEXT)",
        ("CREATE TABLE assessment_scores (round TEXT, indicator_code TEXT, score {NUM}, city_rank {INT},"
         " districts {INT})"),
        ("CREATE TABLE assessment_findings (finding_id TEXT PRIMARY KEY, round TEXT, indicator_code TEXT,"
         " unit_code TEXT, problem TEXT, due_on {DATE}, rectified_on {DATE}, verified_on {DATE})"),
    ],
}

# 急险 watch (include/sql/petitions/urgent.sql): the urgent petitions only, by received_at; the same
# statement on SQLite and PostgreSQL (both match a query's "is_urgent = TRUE" to the predicate).
URGENT_INDEX = "CREATE INDEX ix_petitions_urgent_received ON petitions (received_at) WHERE is_urgent = TRUE"

# Indexes the project asks the departments to keep (documented in include/sql/README.md); the
# demo databases have them so the demo behaves like production.
INDEXES: dict[str, list[str]] = {
    "dept_petitions": [
        "CREATE INDEX ix_petitions_received_at ON petitions (received_at)",
        "CREATE INDEX ix_petitions_dispatch_due_at ON petitions (dispatch_due_at)",
        "CREATE INDEX ix_petitions_feedback_due_at ON petitions (feedback_due_at)",
        "CREATE INDEX ix_petitions_revisited_at ON petitions (revisited_at)",
        ("CREATE INDEX ix_petitions_feedback_open ON petitions (feedback_due_at)"
         " WHERE feedback_at IS NULL OR feedback_at > feedback_due_at"),
        "CREATE INDEX ix_petition_units_petition ON petition_units (petition_id)",
        URGENT_INDEX,
    ],
    "dept_policy": [
        "CREATE INDEX ix_certifications_credit ON certifications (credit_code)",
        "CREATE INDEX ix_applications_policy ON applications (policy_id)",
        "CREATE INDEX ix_commitments_due ON commitments (due_on)",
    ],
    "dept_innovation": [
        "CREATE INDEX ix_project_monthly_month ON project_monthly (month)",
        "CREATE INDEX ix_indicator_monthly_month ON indicator_monthly (month)",
    ],
    "dept_publicity": [
        "CREATE INDEX ix_wechat_posts_published ON wechat_posts (published_at)",
        "CREATE INDEX ix_info_submissions_submitted ON info_submissions (submitted_at)",
    ],
    # a few hundred rows a year: read whole, no index asked for
    "dept_supervision": [],
}

# PostgreSQL only (SQLite has neither GiST nor tsrange): the 超期未反馈 backlog as "end lies in
# (feedback_due_at, feedback_at]", which include/sql/petitions/_rules.sql states on PostgreSQL.
BACKLOG_GIST_INDEX = (
    "CREATE INDEX ix_petitions_feedback_backlog ON petitions USING gist (tsrange(feedback_due_at,"
    " CASE WHEN feedback_at < feedback_due_at THEN feedback_due_at ELSE feedback_at END, '(]'))"
    " WHERE (feedback_at IS NULL OR feedback_at > feedback_due_at) AND COALESCE(status, '') <> '已撤销'"
)
PG_INDEXES: dict[str, list[str]] = {"dept_petitions": [BACKLOG_GIST_INDEX]}

TABLES: dict[str, list[str]] = {
    "dept_petitions": ["units", "petitions", "petition_units"],
    "dept_policy": ["enterprises", "certifications", "applications", "commitments"],
    "dept_innovation": ["projects", "project_monthly", "indicators", "indicator_monthly"],
    "dept_publicity": ["wechat_posts", "info_submissions"],
    "dept_supervision": ["plan_targets", "plan_milestones", "plan_progress", "assessment_rounds",
                         "assessment_indicators", "assessment_scores", "assessment_findings"],
}


def statements(conn_id: str, dialect: str, with_indexes: bool = True) -> list[str]:
    dialect = "sqlite" if dialect.startswith("sqlite") else "postgresql"
    stmts = [s.format(**TYPES[dialect]) for s in DDL[conn_id]]
    if with_indexes:
        stmts += INDEXES[conn_id]
        if dialect == "postgresql":
            stmts += PG_INDEXES.get(conn_id, [])
    return stmts


def create_all(engine, conn_id: str, drop: bool = True, with_indexes: bool = True) -> None:
    """Create (after dropping, by default) the tables of one department database."""
    with engine.begin() as conn:
        if drop:
            for table in reversed(TABLES[conn_id]):
                conn.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
        for stmt in statements(conn_id, engine.dialect.name, with_indexes):
            conn.execute(sa.text(stmt))
