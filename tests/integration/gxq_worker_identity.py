"""``[core] hostname_callable`` for the integration tier's Celery workers.

Several workers on one machine would all report the same FQDN on their task instances; each
worker process of the tier gets ``GXQ_WORKER_HOSTNAME`` so the test can tell which worker ran
which task. Outside the tier (variable unset) it is the machine's FQDN, as Airflow's default.
"""

from __future__ import annotations

import os
import socket


def hostname() -> str:
    return os.environ.get("GXQ_WORKER_HOSTNAME") or socket.getfqdn()
