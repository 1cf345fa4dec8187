"""SQLAlchemy Core tables of the ``notify`` branch of ``gxq_ops``: the outbox (通知发件箱), each
message's delivery, and the per-bot send log that paces chat bots.

The migrations ``notify_0001_outbox``, ``notify_0002_deliveries`` and ``notify_0003_claim_holder``
are the source of truth; this mirrors them for queries.

Outbox statuses: ``pending`` (recorded, not yet sent), ``sending`` (claimed by a run right now),
``sent``, ``failed`` (a channel stayed down or kept answering "too fast"; the next run or retry
sends what is missing), ``refused`` (a platform refused it for good — bad key, token or
signature — until the configuration is fixed), ``dry_run`` (rendered and recorded by a dry run,
never sent), ``unrouted`` (no Apprise URL for the tag).
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
    # notify_0003: the Airflow task instance holding the claim ("<dag_id>|<run_id>|<task_id>|<map_index>")
    # and its try number: a later try of the same task instance may take the claim over at once
    # (its own earlier try is dead); any other sender waits until the claim is stale.
    sa.Column("claim_holder", sa.Text),
    sa.Column("claim_try", sa.Integer),
    sa.Column("run_id", sa.String(250)),
    sa.Column("resend_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("resend_run_id", sa.String(250)),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
    sa.Column("sent_at", sa.DateTime),
    sa.UniqueConstraint("dag_id", "period_key", "recipient", "kind", name="uq_gxq_notify_outbox_key"),
)

CLAIMABLE = ("pending", "failed", "refused", "dry_run", "unrouted")

# notify_0002: one row per message part and URL of a notice (what the platform answered).
# Statuses: ``accepted`` (the platform said 0), ``waiting`` (refused as too fast, or a transient
# error: the next attempt sends it), ``refused`` (refused for good: key, token, signature).
delivery = sa.Table(
    "gxq_notify_delivery",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("outbox_id", sa.Integer, sa.ForeignKey("gxq_notify_outbox.id", ondelete="CASCADE"), nullable=False),
    sa.Column("url_id", sa.String(16), nullable=False),
    sa.Column("bot", sa.String(16), nullable=False),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("part", sa.Integer, nullable=False),
    sa.Column("parts", sa.Integer, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("platform_code", sa.Integer),
    sa.Column("platform_message", sa.Text),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("too_fast", sa.Integer, nullable=False, server_default="0"),
    sa.Column("first_attempt_at", sa.DateTime),
    sa.Column("last_attempt_at", sa.DateTime),
    sa.Column("accepted_at", sa.DateTime),
    sa.UniqueConstraint("outbox_id", "url_id", "part", "parts", name="uq_gxq_notify_delivery_part"),
)

# Pacing (限速): one row per bot (locked while a sender takes a slot) and one per request sent.
bots = sa.Table(
    "gxq_notify_bots",
    metadata,
    sa.Column("bot", sa.String(16), primary_key=True),
    sa.Column("platform", sa.String(20), nullable=False),
    sa.Column("blocked_until", sa.DateTime),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)

bot_sends = sa.Table(
    "gxq_notify_bot_sends",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("bot", sa.String(16), nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)
