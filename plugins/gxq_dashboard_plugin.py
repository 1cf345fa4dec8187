"""营商环境看板 in the Airflow UI (Airflow 3 plugin).

Registers the dashboard's FastAPI app (:mod:`gxq.dashboard.app`) under ``/gxq`` on the
api-server and an external view, so that "营商环境看板" appears in the UI's left navigation bar and opens the page inside the UI at ``/plugin/gxq-dashboard``. The page is
read-only and behind Airflow's authentication (see the app module).

This module is top-level because ``plugins/.airflowignore`` keeps Airflow's plugin discovery out
of the ``gxq`` library package.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin
from gxq.dashboard.app import URL_PREFIX, app

DASHBOARD_NAME = "营商环境看板"
# A small bar-chart icon as a data URI: no static file to serve, nothing fetched from outside.
ICON = (
    "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 24 24'>"
    "<g fill='%232c6fbb'><rect x='3' y='12' width='4' height='9'/><rect x='10' y='7' width='4' height='14'/>"
    "<rect x='17' y='3' width='4' height='18'/></g></svg>"
)


class GxqDashboardPlugin(AirflowPlugin):
    name = "gxq_dashboard"
    # Class attributes are the AirflowPlugin API.
    fastapi_apps = [{"app": app, "url_prefix": URL_PREFIX, "name": DASHBOARD_NAME}]  # noqa: RUF012
    external_views = [  # noqa: RUF012
        {
            "name": DASHBOARD_NAME,
            # Relative to the UI's <base href>: works behind a reverse proxy sub-path too.
            "href": URL_PREFIX.lstrip("/") + "/",
            "url_route": "gxq-dashboard",
            "icon": ICON,
            "destination": "nav",
            # Its own button in the left navigation bar (not folded into a "Plugins" menu).
            "nav_top_level": True,
        }
    ]
