"""The 营商环境看板 FastAPI app, mounted by Airflow's api-server at ``/gxq``.

Routes (all read-only, all behind Airflow's authentication):
- ``GET /gxq/``              the dashboard page (server-side HTML, inline CSS and SVG);
- ``GET /gxq/api/dashboard`` the same figures as JSON;
- ``GET /gxq/reference``     the project's reference (docs/reference.md), linked from the footer;
- ``GET /gxq/files/<dag_id>/<period>/[<batch_id>/]review/<file>`` a batch's review drafts (财政拨付明细表
  草稿, 兑现公示草稿, the request text), linked from the review request in Required Actions.

Authentication is Airflow's own: the JWT the UI keeps in its ``_token`` cookie (what the
dashboard's iframe in the Airflow UI sends) or an ``Authorization: Bearer`` token from
``POST /auth/token``, checked by :func:`airflow.api_fastapi.core_api.security.get_user`, then
the auth manager must allow the user the ``WEBSITE`` view. No token: 401; a bad token: 403;
a browser gets a short page with a link to the login page instead of bare JSON.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import asdict
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

log = logging.getLogger(__name__)

URL_PREFIX = "/gxq"
_bearer = HTTPBearer(auto_error=False)


async def require_user(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
):
    """Airflow's authenticated user, allowed to see the website; else 401/403."""
    # Imported here: the plugin module is imported by every Airflow process, only the
    # api-server needs the FastAPI security layer (and its ORM imports).
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api.security import get_user

    user = await get_user(request, None, credentials)
    if not get_auth_manager().is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "Forbidden")
    return user


def _ops_spec_from_airflow():
    """The ``gxq_ops`` connection as defined in Airflow (UI / secrets backend).

    The api-server is not a task, so the Task SDK lookup in :mod:`gxq.connections` finds nothing
    here; the server-side ``Connection`` model reads the same connection definitions.
    """
    # Deferred here and below: this module is the Airflow plugin's, imported by every Airflow
    # process; only the api-server serving a request needs the store, SQLAlchemy and the ORM.
    from gxq.connections import OPS_CONN_ID, spec_of

    try:
        from airflow.models.connection import Connection

        conn = Connection.get_connection_from_secrets(OPS_CONN_ID)
    except Exception:  # noqa: BLE001 - not defined in Airflow: the embedded default applies
        return None
    return spec_of(OPS_CONN_ID, conn)


def dashboard_engine():
    """``gxq_ops`` for the dashboard: (engine, warning or None).

    Like every run, the dashboard brings an empty or older ``gxq_ops`` to the current schema
    first (``store.ensure_schema``); should that fail, it still shows what it can read.
    """
    from gxq import store
    from gxq.connections import OPS_CONN_ID, default_spec, engine_for

    spec = None  # AIRFLOW_CONN_GXQ_OPS (or the embedded default): gxq.connections resolves it
    if not os.environ.get(f"AIRFLOW_CONN_{OPS_CONN_ID.upper()}") and not os.environ.get(
        "GXQ_NO_AIRFLOW_CONNECTIONS"
    ):
        # Not the Task SDK lookup of gxq.connections: there is no task here.
        spec = _ops_spec_from_airflow() or default_spec(OPS_CONN_ID)
    engine = engine_for(OPS_CONN_ID, spec)
    try:
        return store.ensure_schema(engine), None
    except Exception:
        log.exception("dashboard: gxq_ops schema check failed")
        return engine, "gxq_ops 数据库结构检查失败，部分板块可能缺失（见 api-server 日志）"


def _username(user) -> str | None:
    for attr in ("get_name", "get_id"):
        fn = getattr(user, attr, None)
        if callable(fn):
            try:
                return str(fn())
            except Exception:
                log.debug("dashboard: user without %s", attr, exc_info=True)
    return None


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def create_app() -> FastAPI:
    from gxq.dashboard import queries, render  # deferred, see _ops_spec_from_airflow

    app = FastAPI(
        title="营商环境看板",
        description="大连高新区优化营商环境: read-only dashboard over gxq_ops",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.exception_handler(HTTPException)
    async def _auth_page(request: Request, exc: HTTPException):
        if exc.status_code in (401, 403) and _wants_html(request):
            login_url = "/auth/login"
            try:
                from airflow.api_fastapi.app import get_auth_manager

                login_url = get_auth_manager().get_url_login(next_url=str(request.url))
            except Exception:
                log.warning("dashboard: no login URL from the auth manager", exc_info=True)
            return HTMLResponse(render.render_login_required(login_url, exc.status_code), exc.status_code)
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)

    # Plain `def` routes: FastAPI runs them in its thread pool, so blocking database reads
    # never stall the api-server's event loop.
    @app.get("/", response_class=HTMLResponse)
    def dashboard(user: Annotated[object, Depends(require_user)]) -> HTMLResponse:
        engine, warning = dashboard_engine()
        now = dt.datetime.now(queries.TZ)
        sections = queries.dashboard_data(engine, now)
        try:
            names = queries.unit_names(engine)
        except Exception:  # the codes stand in; every section still shows
            log.exception("dashboard: unit names not readable")
            names = {}
        html = render.render_dashboard(
            sections, now=now.replace(tzinfo=None), user=_username(user), warning=warning, unit_names=names
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    @app.get("/reference", response_class=HTMLResponse)
    def reference(user: Annotated[object, Depends(require_user)]) -> HTMLResponse:
        html = render.render_reference()
        if html is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "docs/reference.md is not deployed")
        return HTMLResponse(html)

    @app.get("/files/{path:path}")
    def review_file(path: str, user: Annotated[object, Depends(require_user)]):
        """A review draft under $GXQ_OUTPUT_DIR: only files in a ``review/`` folder of a policy DAG."""
        from fastapi.responses import FileResponse

        from gxq import output

        parts = path.split("/")
        ok = (len(parts) in (4, 5) and parts[0].startswith("policy_redemption_") and parts[-2] == "review"
              and parts[-1].rsplit(".", 1)[-1] in ("html", "xlsx", "md")
              and all(p and p not in (".", "..") for p in parts))
        root = output.output_root().resolve()
        target = (root / path).resolve()
        if not ok or root not in target.parents or not target.is_file():
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such review file")
        return FileResponse(target, headers={"Cache-Control": "no-store"})

    @app.get("/api/dashboard")
    def dashboard_json(user: Annotated[object, Depends(require_user)]) -> JSONResponse:
        engine, warning = dashboard_engine()
        sections = queries.dashboard_data(engine)
        body = {"warning": warning, "sections": {k: asdict(v) for k, v in sections.items()}}
        return JSONResponse(jsonable_encoder(body), headers={"Cache-Control": "no-store"})

    return app


app = create_app()
