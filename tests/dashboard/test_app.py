"""The plugin inside Airflow's own api-server app (in-process): mounted, linked, authenticated."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from tests.dashboard import seeding

PASSWORD = "gxq-dash-test"


@pytest.fixture(scope="module")
def api(airflow_db, tmp_path_factory):
    """Airflow's api-server FastAPI app with the simple auth manager and a seeded gxq_ops."""
    from gxq import store
    from gxq.connections import dispose_all

    tmp = tmp_path_factory.mktemp("dash_app")
    mp = pytest.MonkeyPatch()
    passwords = tmp / "passwords.json"
    passwords.write_text(json.dumps({"admin": PASSWORD, "viewer": PASSWORD}))
    ops = tmp / "gxq_ops.db"
    mp.setenv(
        "AIRFLOW__CORE__AUTH_MANAGER",
        "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
    )
    mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS", "admin:admin,viewer:viewer")
    mp.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE", str(passwords))
    mp.setenv("AIRFLOW__API_AUTH__JWT_SECRET", "dashboard-test-secret-" + "0123456789abcdef" * 4)
    mp.setenv("AIRFLOW_CONN_GXQ_OPS", seeding.sqlite_conn_json(ops))
    engine = sa.create_engine(f"sqlite:///{ops}", poolclass=sa.pool.NullPool)
    store.ensure_schema(engine)
    seeding.seed_ops(engine)

    from airflow.api_fastapi.app import create_app, purge_cached_app
    from fastapi.testclient import TestClient

    purge_cached_app()
    client = TestClient(create_app(), base_url="http://localhost")
    yield client
    client.close()
    purge_cached_app()
    dispose_all()
    mp.undo()


def token(client, user="admin") -> str:
    resp = client.post("/auth/token", json={"username": user, "password": PASSWORD})
    assert resp.status_code in (200, 201), resp.text
    return resp.json()["access_token"]


def test_plugin_is_registered_with_a_nav_link(api):
    resp = api.get("/api/v2/plugins", headers={"Authorization": f"Bearer {token(api)}"})
    assert resp.status_code == 200, resp.text
    plugin = next(p for p in resp.json()["plugins"] if p["name"] == "gxq_dashboard")
    assert plugin["fastapi_apps"][0]["url_prefix"] == "/gxq"
    assert plugin["fastapi_apps"][0]["name"] == "营商环境看板"
    view = plugin["external_views"][0]
    assert view["name"] == "营商环境看板" and view["url_route"] == "gxq-dashboard"
    assert view["href"] == "gxq/" and view["destination"] == "nav"


def test_anonymous_is_refused(api):
    assert api.get("/gxq/").status_code == 401
    assert api.get("/gxq/api/dashboard").status_code == 401
    page = api.get("/gxq/", headers={"Accept": "text/html"})
    assert page.status_code == 401 and "请先登录" in page.text and "/auth/login" in page.text


def test_bad_token_is_refused(api):
    assert api.get("/gxq/", headers={"Authorization": "Bearer not-a-jwt"}).status_code == 403
    api.cookies.set("_token", "forged")
    try:
        assert api.get("/gxq/").status_code == 403
    finally:
        api.cookies.clear()


def test_bearer_token_sees_the_dashboard(api):
    resp = api.get("/gxq/", headers={"Authorization": f"Bearer {token(api)}"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    html = resp.text
    for text in (
        "营商环境看板",
        "2021-W09",
        "94.5%",
        "供暖",
        "1,087,500.50",
        "发送失败",
        "136****0546",
        "admin",
    ):
        assert text in html, text
    assert seeding.PHONE not in html


def test_ui_cookie_sees_the_dashboard_as_viewer(api):
    """The UI's iframe sends the `_token` cookie, not a header; a viewer may look."""
    api.cookies.set("_token", token(api, "viewer"))
    try:
        resp = api.get("/gxq/")
        assert resp.status_code == 200 and "挂牌督办事项" in resp.text
    finally:
        api.cookies.clear()


def test_footer_links_the_reference_which_is_served(api):
    """The footer's 数值口径 link opens docs/reference.md, rendered, behind the same login."""
    headers = {"Authorization": f"Bearer {token(api)}"}
    page = api.get("/gxq/", headers=headers).text
    assert '<a href="reference">数据与报告口径</a>' in page
    assert api.get("/gxq/reference").status_code == 401
    resp = api.get("/gxq/reference", headers=headers)
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert "<table>" in resp.text and "<code>report.json</code>" in resp.text
    assert "held_by_review" in resp.text and "返回营商环境看板" in resp.text


def test_json_endpoint(api):
    resp = api.get("/gxq/api/dashboard", headers={"Authorization": f"Bearer {token(api)}"})
    assert resp.status_code == 200
    body = resp.json()
    assert body["warning"] is None
    sections = body["sections"]
    assert sections["bulletin"]["data"]["period"] == "2021-W09"
    assert sections["batches"]["rows"][0]["batch_id"] == "B-2021-Q1-Q"
    assert seeding.PHONE not in resp.text


def test_read_only(api):
    """Nothing but GET: the dashboard changes nothing."""
    headers = {"Authorization": f"Bearer {token(api)}"}
    assert api.post("/gxq/", headers=headers).status_code == 405
    assert api.delete("/gxq/api/dashboard", headers=headers).status_code == 405


def test_engine_from_a_connection_defined_in_airflow(tmp_path, monkeypatch):
    """No AIRFLOW_CONN_GXQ_OPS: the api-server reads the connection defined in Airflow (UI)."""
    from airflow.models.connection import Connection
    from gxq.connections import dispose_all
    from gxq.dashboard import app as dash_app

    target = tmp_path / "from_ui.db"
    monkeypatch.delenv("AIRFLOW_CONN_GXQ_OPS", raising=False)
    monkeypatch.delenv("GXQ_NO_AIRFLOW_CONNECTIONS", raising=False)
    monkeypatch.setattr(
        Connection,
        "get_connection_from_secrets",
        classmethod(lambda cls, conn_id: Connection(conn_id=conn_id, conn_type="sqlite", host=str(target))),
    )
    try:
        engine, warning = dash_app.dashboard_engine()
        assert warning is None
        assert engine.url.database == str(target)
        assert "gxq_reports" in sa.inspect(engine).get_table_names()  # migrated on first use
    finally:
        dispose_all()


def test_engine_falls_back_to_the_embedded_default(tmp_path, monkeypatch):
    from airflow.exceptions import AirflowNotFoundException
    from airflow.models.connection import Connection
    from gxq.connections import dispose_all
    from gxq.dashboard import app as dash_app

    def missing(cls, conn_id):
        raise AirflowNotFoundException(conn_id)

    monkeypatch.delenv("AIRFLOW_CONN_GXQ_OPS", raising=False)
    monkeypatch.delenv("GXQ_NO_AIRFLOW_CONNECTIONS", raising=False)
    monkeypatch.setenv("GXQ_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(Connection, "get_connection_from_secrets", classmethod(missing))
    try:
        engine, _ = dash_app.dashboard_engine()
        assert engine.url.database == str(tmp_path / "gxq_ops.db")
    finally:
        dispose_all()


def test_review_drafts_are_served_and_nothing_else(api, tmp_path, monkeypatch):
    """/gxq/files/...: a policy batch's review drafts (linked from its Required Actions request),
    behind the same login; no other file of the output folder, no way out of it."""
    out = tmp_path / "output"
    monkeypatch.setenv("GXQ_OUTPUT_DIR", str(out))
    draft = out / "policy_redemption_monthly" / "2021-03" / "review" / "publicity_draft.html"
    draft.parent.mkdir(parents=True)
    draft.write_text("<p>兑现公示草稿</p>", encoding="utf-8")
    (out / "policy_redemption_monthly" / "2021-03" / "report.json").write_text("{}")
    (tmp_path / "secret.html").write_text("secret")
    auth = {"Authorization": f"Bearer {token(api)}"}
    url = "/gxq/files/policy_redemption_monthly/2021-03/review/publicity_draft.html"
    assert api.get(url).status_code == 401
    resp = api.get(url, headers=auth)
    assert resp.status_code == 200 and "兑现公示草稿" in resp.text
    for bad in ("policy_redemption_monthly/2021-03/report.json", "policy_redemption_monthly/2021-03/review/../report.json",
                "policy_redemption_monthly/../../secret.html", "petition_weekly_bulletin/2021-W09/review/x.html",
                "policy_redemption_monthly/2021-03/review/missing.html"):
        assert api.get(f"/gxq/files/{bad}", headers=auth).status_code == 404, bad
