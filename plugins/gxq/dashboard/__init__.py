"""营商环境看板: the ops team's read-only dashboard inside the Airflow UI.

- :mod:`gxq.dashboard.queries` reads ``gxq_ops`` (reports, supervised items, outbox) defensively;
- :mod:`gxq.dashboard.svg` draws the 8-week sparklines as inline SVG;
- :mod:`gxq.dashboard.render` renders ``include/templates/dashboard/`` server-side;
- :mod:`gxq.dashboard.app` is the FastAPI app, behind Airflow's authentication, that the
  top-level ``plugins/gxq_dashboard_plugin.py`` mounts at ``/gxq`` with a navigation link.
"""
