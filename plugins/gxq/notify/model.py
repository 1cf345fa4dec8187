"""What a DAG hands to the outbox (通知) and what it gets back. No heavy import here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class Notice:
    """One notice to one recipient tag.

    ``recipient``: an Apprise tag — a unit code (``U01``), ``office`` (营商环境建设局), ``ops``,
    ``finance``, ``publicity``. ``kind`` names the notice within the run's period
    (``bulletin``, ``supervision``, ``reminder`` ...): (dag_id, period_key, recipient, kind) is
    the idempotency key, so one run never sends two notices of the same kind to one tag.
    ``body`` is Markdown (or plain text with ``format="text"``); ``attachments`` are file paths;
    ``link`` where the full text can be read (used when a channel cannot carry the whole body).
    """

    recipient: str
    kind: str
    subject: str
    body: str
    attachments: list[str] = field(default_factory=list)
    link: str | None = None
    format: str = "markdown"  # markdown | text | html

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Sender:
    """The Airflow task try that sends (发送者), recorded with each outbox claim.

    ``holder`` names the task instance, the same over its tries: a later try of it may take over
    at once a claim that an earlier try of it left behind (that try is dead: Airflow runs one try
    of a task instance at a time); any other sender waits until the claim is stale.
    ``max_tries`` is Airflow's (retries included): a try with ``try_number <= max_tries`` is
    followed by another one if it fails.
    """

    dag_id: str
    run_id: str
    task_id: str
    map_index: int = -1
    try_number: int = 1
    max_tries: int | None = None

    @property
    def holder(self) -> str:
        return f"{self.dag_id}|{self.run_id}|{self.task_id}|{self.map_index}"

    @property
    def task(self) -> str:
        return self.task_id + (f"[{self.map_index}]" if self.map_index is not None and self.map_index >= 0 else "")


@dataclass
class NoticeOutcome:
    """What happened to one notice in one deliver() call."""

    recipient: str
    kind: str
    status: str  # sent | skipped_already_sent | in_progress | failed | refused | dry_run | unrouted
    outbox_id: int | None = None
    attempts: int = 0
    channels: int = 0
    messages: int = 0
    error: str | None = None
    changed_since_sent: bool = False
    # Refused for good by a chat platform: [{platform, url_id, code, message}]
    refusals: list[dict] = field(default_factory=list)
    # Sent after taking over a claim whose sender died mid-send (it may have delivered one message
    # already): {by: "an earlier try (1) of this task" | "run ... task ... try n", claimed_at}
    taken_over: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DeliveryResult:
    """Counts of a deliver() call; ``to_dict()`` goes into a DAG's report."""

    dag_id: str
    period_key: str
    sent: int = 0
    skipped_already_sent: int = 0
    in_progress: int = 0
    failed: int = 0  # not delivered (refused ones included)
    refused: int = 0  # of which refused for good by a platform (bad key, token, signature)
    dry_run: int = 0
    unrouted: list[str] = field(default_factory=list)
    notices: list[NoticeOutcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.in_progress == 0

    def to_dict(self) -> dict:
        return {
            "sent": self.sent,
            "skipped_already_sent": self.skipped_already_sent,
            "in_progress": self.in_progress,
            "failed": self.failed,
            "refused": self.refused,
            "dry_run": self.dry_run,
            "unrouted": list(self.unrouted),
            "notices": [n.to_dict() for n in self.notices],
        }


class DeliveryFailed(RuntimeError):
    """Raised by deliver() after every notice was attempted, when some stayed failed.

    The task fails, Airflow retries it, and the retry sends only the failed ones.
    """

    def __init__(self, result: DeliveryResult):
        self.result = result
        failed = [f"{n.recipient}/{n.kind}: {n.error}" for n in result.notices
                  if n.status in ("failed", "refused", "in_progress")]
        super().__init__(
            f"{result.failed + result.in_progress} notice(s) of {result.dag_id} {result.period_key} not delivered "
            f"({result.sent} sent, {result.skipped_already_sent} already sent): " + "; ".join(failed)
        )
