"""Airflow's public REST API (``/api/v2``), as a person uses it: log in (``POST /auth/token``) and
answer a human-in-the-loop request (``PATCH .../hitlDetails``). Tasks may not touch the metadata
database; what they do to other runs goes through here, recorded as the connection's user.

Connection ``gxq_airflow_api`` (``AIRFLOW_CONN_GXQ_AIRFLOW_API`` in Airflow's JSON form, or the UI): host = the
api-server's base URL (default ``[api] base_url``), login and password of an Airflow user allowed to
answer the requests it answers (for the policy reviews: one of the approvers, e.g. role admin).
"""

from __future__ import annotations

import os

import requests

from gxq import connections

CONN_ID = "gxq_airflow_api"
TIMEOUT = 60


class AirflowApiError(RuntimeError):
    """The api-server refused or failed a call (status and text in the message)."""


class AirflowApi:
    def __init__(self, base_url: str, user: str, password: str) -> None:
        self.base = base_url.rstrip("/")
        self.user = user
        self._password = password
        self._session = requests.Session()

    def _login(self) -> None:
        r = requests.post(f"{self.base}/auth/token", json={"username": self.user, "password": self._password},
                          timeout=TIMEOUT)
        if r.status_code not in (200, 201):
            raise AirflowApiError(f"POST /auth/token as {self.user}: {r.status_code} {r.text[:300]}")
        self._session.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def answer_hitl(self, dag_id: str, run_id: str, task_id: str, map_index: int | None, chosen: list[str],
                    params_input: dict) -> dict | None:
        """Answer a waiting request; None when nothing waits any more (409: answered already;
        404: the run or its task instance is gone)."""
        if "Authorization" not in self._session.headers:
            self._login()
        url = (f"{self.base}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/"
               f"{-1 if map_index is None else map_index}/hitlDetails")
        r = self._session.patch(url, json={"chosen_options": chosen, "params_input": params_input}, timeout=TIMEOUT)
        if r.status_code in (404, 409):
            return None
        if r.status_code >= 400:
            raise AirflowApiError(f"PATCH {url}: {r.status_code} {r.text[:300]}")
        return r.json()


def from_connection(conn_id: str = CONN_ID) -> AirflowApi | None:
    """The client of the ``gxq_airflow_api`` connection; None when it is not defined."""
    value = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    spec = connections.parse_conn_value(conn_id, value.strip()) if value else connections._airflow_spec(conn_id)
    if spec is None:
        return None
    if not spec.login or not spec.password:
        raise connections.ConnectionConfigError(f"connection {conn_id!r} needs login and password")
    base = spec.host or _configured_base_url()
    if not base:
        raise connections.ConnectionConfigError(f"connection {conn_id!r} needs host (the api-server's base URL)")
    if "://" not in base:
        base = f"http://{base}"
    if spec.port and base.count(":") < 2:
        base = f"{base.rstrip('/')}:{spec.port}"
    return AirflowApi(base, spec.login, spec.password)


def _configured_base_url() -> str | None:
    try:
        from airflow.configuration import conf
    except ImportError:
        return os.environ.get("AIRFLOW__API__BASE_URL")
    return conf.get("api", "base_url", fallback=None)
