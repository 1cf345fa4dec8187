"""SQLAlchemy Core table of the ``notify`` branch of ``gxq_ops``: the outbox (通知发件箱).

The migration ``notify_0001_outbox`` is the source of truth; this mirrors it for queries.

Statuses: ``pending`` (recorded, not yet sent), ``sending`` (claimed by a run right now),
``sent``, ``failed`` (a channel stayed down; the next run or retry sends it), ``dry_run``
(rendered and recorded by a dry run, never sent), ``unrouted`` (no Apprise URL for the tag).
"""

import sqlalchemy as sa

metadata = sa.MetaData()

outbox = sa.Table(
    "gxq_notify_outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("dag_id", sa.String(100), nullable=False),
    sa.Column("period_key", sa.String(40), nullable=False),
    sa.Column("recipient", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(200), nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("body_format", sa.String(10), nullable=False, server_default="markdown"),
    sa.Column("link", sa.Text),
    sa.Column("attachments_json", sa.Text, nullable=False, server_default="[]"),
    sa.Column("payload_hash", sa.String(64), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text),
    # Channel deliveries done so far ("<url id>#<part>"): a retry never repeats one.
    sa.Column("channels_json", sa.Text, nullable=False, server_default="[]"),
    sa.Column("claim_token", sa.String(64)),
    sa.Column("claimed_at", sa.DateTime),
    sa.Column("run_id", sa.String(250)),
    sa.Column("resend_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("resend_run_id", sa.String(250)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.UniqueConstraint("dag_id", "period_key", "recipient", "kind", name="uq_gxq_notify_outbox_key"),
)

CLAIMABLE = ("pending", "failed", "dry_run", "unrouted")
