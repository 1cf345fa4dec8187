"""SQLAlchemy Core table objects of ``gxq_ops`` for the core branch.

Capability branches declare their own tables beside their code (``gxq.notify.tables`` ...); the
migrations in ``migrations/versions`` are the source of truth for the schema.
"""

import sqlalchemy as sa

metadata = sa.MetaData()

reports = sa.Table(
    "gxq_reports",
    metadata,
    sa.Column("dag_id", sa.String(100), primary_key=True),
    sa.Column("period_key", sa.String(40), primary_key=True),
    sa.Column("run_id", sa.String(250)),
    sa.Column("report_json", sa.Text, nullable=False),
    sa.Column("report_hash", sa.String(64), nullable=False),
    sa.Column("issued_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
