"""The embedded default: include/apprise/demo.yml delivers every notice as a readable file."""

from __future__ import annotations

from pathlib import Path

import pytest
from gxq.connections import REPO_ROOT
from gxq.masking import scan_tree
from gxq.notify import Notice, deliver

from tests.notify.conftest import record_scenario

DEMO = REPO_ROOT / "include" / "apprise" / "demo.yml"


@pytest.mark.parametrize("ops_engine", ["sqlite"], indirect=True)
def test_demo_config_writes_one_file_per_notice(ops_engine, monkeypatch, tmp_path):
    monkeypatch.setenv("GXQ_APPRISE_CONFIG", str(DEMO))
    out = Path(tmp_path / "output")
    att = tmp_path / "bulletin.csv"
    att.write_text("unit,phone\nU01,13612340546\n", encoding="utf-8")
    tags = ["office", "ops", "finance", "publicity", "U01", "U20", "U42"]  # U42: via the fallback URL
    notices = [Notice(t, "bulletin", f"通报 {t}", f"致 {t}: 联系电话 13612340546", attachments=[str(att)])
               for t in tags]
    result = deliver("petition_weekly_bulletin", "2021-W09", notices)
    assert result.sent == len(tags) and result.unrouted == []
    for t in tags:
        f = out / "_notices" / t / "petition_weekly_bulletin" / "2021-W09" / "bulletin.md"
        assert f.is_file(), f
        text = f.read_text(encoding="utf-8")
        assert f"通报 {t}" in text and "136****0546" in text
        assert (f.parent / "bulletin.files" / "bulletin.csv").is_file()
    assert scan_tree(out) == {}
    again = deliver("petition_weekly_bulletin", "2021-W09", notices)
    assert again.sent == 0
    files = sorted(p for p in (out / "_notices").rglob("*.md"))
    assert len(files) == len(tags)
    record_scenario("demo-gxqfile", notices=len(tags), files=len(files), unmasked=len(scan_tree(out)))


def test_demo_config_routes_every_contract_tag():
    import apprise
    from gxq.notify.channels import asset, routes

    ap = apprise.Apprise(asset=asset())
    cfg = apprise.AppriseConfig(asset=asset())
    cfg.add(str(DEMO))
    ap.add(cfg)
    for tag in ["office", "ops", "finance", "publicity", *[f"U{i:02d}" for i in range(1, 21)]]:
        servers, via_fallback = routes(ap, tag)
        assert len(servers) == 1 and not via_fallback, tag
    servers, via_fallback = routes(ap, "U99")
    assert len(servers) == 1 and via_fallback
