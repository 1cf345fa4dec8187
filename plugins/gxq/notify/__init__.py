"""Notifications (通知): an Apprise outbox that never loses a notice and never sends one twice.

A DAG says what to send to whom, as its last task::

    from gxq.notify import Notice, deliver
    result = deliver(dag_id, period.key, [Notice("U01", "bulletin", subject, body)],
                     dry_run=dry_run, resend=resend, run_id=dagkit.run_id(context))
    report["notifications"] = result.to_dict()

The outbox (table ``gxq_notify_outbox`` in ``gxq_ops``) masks, records, dedupes and sends; see
:mod:`gxq.notify.outbox`. Channels come from the Apprise configuration in ``$GXQ_APPRISE_CONFIG``
(:mod:`gxq.notify.channels`); ops alerts are in :mod:`gxq.notify.alerts`, the bulletin's deadline
in :mod:`gxq.notify.deadlines`.
"""

from gxq.notify.model import DeliveryFailed, DeliveryResult, Notice, NoticeOutcome

__all__ = ["Notice", "NoticeOutcome", "DeliveryResult", "DeliveryFailed", "deliver", "render_notice"]


def deliver(*args, **kwargs):
    from gxq.notify.outbox import deliver as _deliver

    return _deliver(*args, **kwargs)


def render_notice(*args, **kwargs):
    from gxq.notify.outbox import render_notice as _render

    return _render(*args, **kwargs)


deliver.__doc__ = "See :func:`gxq.notify.outbox.deliver`."
