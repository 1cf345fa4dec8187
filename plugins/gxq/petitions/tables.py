"""SQLAlchemy Core tables of the petitions branch of ``gxq_ops`` (migrations petitions_0001 … _0003)."""

import sqlalchemy as sa

metadata = sa.MetaData()

petition_weeks = sa.Table(
    "petition_weeks",
    metadata,
    sa.Column("week_key", sa.String(10), primary_key=True),
    sa.Column("week_start", sa.Date, nullable=False),
    sa.Column("topics_json", sa.Text, nullable=False),
    sa.Column("top_json", sa.Text, nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.Column("surges_json", sa.Text),  # petitions_0003; NULL: stored before it
)

supervised_items = sa.Table(
    "petition_supervised_items",
    metadata,
    sa.Column("item_id", sa.String(250), primary_key=True),
    sa.Column("topic", sa.String(200), nullable=False),
    sa.Column("opened_week", sa.String(10), nullable=False),
    sa.Column("lead_unit", sa.String(40)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("opened_as", sa.String(10)),  # petitions_0003: "top" (高频) or "surge" (突增)
)

supervised_states = sa.Table(
    "petition_supervised_states",
    metadata,
    sa.Column("item_id", sa.String(250), primary_key=True),
    sa.Column("week_key", sa.String(10), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("weeks_open", sa.Integer, nullable=False),
    sa.Column("complaints", sa.Integer, nullable=False),
    sa.Column("rank", sa.Integer),
    sa.Column("lead_unit", sa.String(40)),
    sa.Column("escalated", sa.Boolean, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("surge", sa.Boolean, nullable=False, server_default=sa.false()),  # petitions_0003: 突增 in that week
)

# --- migration petitions_0002: per-unit, per-day counts (gxq.petitions.daily) -------------------

petition_days = sa.Table(
    "petition_days",
    metadata,
    sa.Column("source", sa.String(300), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("week_key", sa.String(10), nullable=False),
    sa.Column("computed_at", sa.DateTime, nullable=False),
    sa.Column("has_topics", sa.Boolean, nullable=False, server_default=sa.false()),  # petitions_0003
)

petition_unit_days = sa.Table(
    "petition_unit_days",
    metadata,
    sa.Column("source", sa.String(300), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("has_lead", sa.Boolean, primary_key=True),
    sa.Column("unit_code", sa.Text, primary_key=True),
    *(sa.Column(name, sa.Integer, nullable=False) for name in (
        "received", "dispatch_due", "dispatch_on_time", "feedback_due", "feedback_on_time", "surveyed", "satisfied")),
)

# --- migration petitions_0003: per-topic, per-street, per-day complaints (突增 baselines) --------

petition_topic_days = sa.Table(
    "petition_topic_days",
    metadata,
    sa.Column("source", sa.String(300), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("topic", sa.Text, primary_key=True),
    sa.Column("street", sa.Text, primary_key=True),  # '' : no street
    sa.Column("complaints", sa.Integer, nullable=False),
)
