"""Notifications (通知): an Apprise outbox that never loses a notice and never sends one twice.

A DAG says what to send to whom, as its last task::

    from gxq.notify import Notice, deliver
    result = deliver(run.dag_id, run.key, [Notice("U01", "bulletin", subject, body)],
                     dry_run=run.dry_run, resend=run.resend, run_id=run.run_id)
    report["notifications"] = result.to_dict()

The outbox (table ``gxq_notify_outbox`` in ``gxq_ops``) masks, records, dedupes and sends; see
:mod:`gxq.notify.outbox`. Channels come from the Apprise configuration in ``$GXQ_APPRISE_CONFIG``
(:mod:`gxq.notify.channels`); ops alerts are in :mod:`gxq.notify.alerts`, the bulletin's deadline
in :mod:`gxq.notify.deadlines`.

Operations (运维):

- where notices go: the Apprise config at ``$GXQ_APPRISE_CONFIG`` (YAML or TEXT, URLs tagged with
  unit codes, ``office``, ``ops``, ``finance``, ``publicity``; a URL tagged ``fallback`` serves
  every tag without its own). Unset: ``include/apprise/demo.yml``, which writes every notice as a
  file ``$GXQ_OUTPUT_DIR/_notices/<tag>/<dag_id>/<period_key>/<kind>.md`` (attachments beside
  it in ``<kind>.files/``);
- what happened: table ``gxq_notify_outbox`` in ``gxq_ops`` (status pending / sending / sent /
  failed / refused / dry_run / unrouted, attempts, last_error, sent_at, resend_count); a DAG's report
  carries ``DeliveryResult.to_dict()``;
- a channel was down: clear or retry the notify task (or rerun the period): only notices not yet
  sent go out. A tag had no URL: add it to the config and rerun: the waiting notices go out;
- send again on purpose: trigger the run with ``{"resend": true}`` (once per run id);
- chat bots (企业微信/政务微信 ``wecombot://``, 钉钉 ``dingtalk://``, 飞书 ``feishu://``): the
  project's plugins (:mod:`gxq.notify.platforms`) count a message delivered only when the
  platform's body says 0; API hosts from ``GXQ_WECOM_API_BASE``, ``GXQ_DINGTALK_API_BASE``,
  ``GXQ_FEISHU_API_BASE``; long notices go as numbered parts within the byte limits; requests
  are paced per bot across processes (:mod:`gxq.notify.pacing`, ``GXQ_NOTIFY_RATE_WINDOW``);
  each message part's answer is in ``gxq_notify_delivery`` (part, bot, platform code,
  attempts); a refusal for good (bad key, token, signature) marks the notice ``refused``,
  alerts ``ops`` and fails the step once the other notices went out;
- tuning: ``GXQ_NOTIFY_ATTEMPTS`` (4), ``GXQ_NOTIFY_RETRY_DELAY`` (2 s, doubled per attempt, at
  most ``GXQ_NOTIFY_MAX_DELAY`` 30 s), ``GXQ_NOTIFY_TOO_FAST_RETRIES`` (3),
  ``GXQ_NOTIFY_CLAIM_TTL`` (600 s: a dead sender's claim is taken over after it),
  ``GXQ_NOTIFY_WAIT_IN_PROGRESS`` (120 s).

Delivery is exactly once per notice and channel as far as the outbox can see: each delivered
message part is recorded the moment Apprise reports success; only a crash between the channel's
answer and that write could repeat one part.
"""

from gxq.notify.model import DeliveryFailed, DeliveryResult, Notice, NoticeOutcome
from gxq.notify.outbox import deliver, deliver_run, render_notice

__all__ = ["DeliveryFailed", "DeliveryResult", "Notice", "NoticeOutcome", "deliver", "deliver_run", "render_notice"]
