"""Example rules never move real money (issue 22.3).

The catalogue's examples (source 虚构) are paid only where the deployment sets
``GXQ_POLICY_EXAMPLES=1`` (scripts/run.sh's demo); the three fixed rules always. Every batch says
which rules it evaluated and which it skipped as examples: report.json ``rules``, the workbook's
汇总, the 公示, the finance notice and the 看板. Real rules name their document's 文号 and dates.
"""

from __future__ import annotations

import openpyxl
import pytest
from gxq import output
from gxq.policy import catalogue, pipeline
from gxq.policy.testing import build_dept_policy

M, Q, A = "policy_redemption_monthly", "policy_redemption_quarterly", "policy_redemption_adhoc"
FIXED = {"hte_first_certification", "specialized_sme_certification", "ip_pledge_interest"}
EXAMPLES_MONTHLY = ["employment_subsidy", "tech_sme_evaluation"]


def _data(dept):
    build_dept_policy(dept, {
        "enterprises": [{"credit_code": c, "name": f"{c}科技有限公司", "street": "凌水街道", "abnormal": False,
                         "dishonest": False} for c in ("A", "B")],
        "certifications": [{"cert_id": "H1", "credit_code": "A", "cert_type": "高新技术企业", "certified_on": "2021-03-05"},
                           {"cert_id": "T1", "credit_code": "B", "cert_type": "科技型中小企业", "certified_on": "2021-03-08"}],
        "applications": [{"application_id": "E1", "credit_code": "B", "policy_id": "employment_subsidy",
                          "submitted_at": "2021-03-01 09:00:00", "amount_requested": 40000, "status": "approved",
                          "approved_at": "2021-03-10 10:00:00"}],
    })


def _run(dag_id, period, **kw):
    return pipeline.run(dag_id, period, send=False, approved_by="测试审核人", approval_ref="测试〔2021〕1号", **kw)


def test_catalogue_real_rules_name_their_document_and_examples_say_so():
    assert {p.id for p in catalogue.CATALOGUE.values() if not p.invented} == FIXED
    for p in catalogue.CATALOGUE.values():
        if p.invented:
            assert "虚构" in p.source and not p.document_no
        else:
            assert p.document_no == "大高营领发〔2021〕5号" and p.in_force_from == "2021-01-01"


def test_examples_are_not_paid_by_default(dbs, monkeypatch):
    dept, _ops = dbs
    monkeypatch.delenv(catalogue.EXAMPLES_ENV, raising=False)
    _data(dept)
    report = _run(M, "2021-03")
    assert [i["policy_id"] for i in report["items"]] == ["hte_first_certification"]
    assert report["total_amount"] == 300000
    assert report["rules"] == {"evaluated": ["hte_first_certification"], "skipped_examples": EXAMPLES_MONTHLY,
                               "skipped_not_in_force": []}
    folder = output.period_dir(M, "2021-03")
    wb = openpyxl.load_workbook(folder / "finance_batch_monthly-2021-03.xlsx")
    summary = [[c for c in row if c is not None] for row in wb["汇总"].iter_rows(values_only=True)]
    assert ["本批次核定的政策", "高新技术企业首次认定奖励(大高营领发〔2021〕5号)"] in summary
    assert ["未纳入的示例规则(虚构,本部署未启用)", "稳岗用工补贴、科技型中小企业评价入库奖励"] in summary
    html = (folder / "publicity.html").read_text(encoding="utf-8")
    assert "未纳入的示例规则(虚构,本部署未启用):稳岗用工补贴、科技型中小企业评价入库奖励" in html
    notice = (folder / "notices" / "notice_finance_policy_batch.md").read_text(encoding="utf-8")
    assert "本批次核定的政策:高新技术企业首次认定奖励(大高营领发〔2021〕5号)" in notice
    # adhoc: the default leaves the examples out; naming one is refused with the reason
    assert pipeline.plan_batch(A, "2021-03")["policy_ids"] == ["hte_first_certification", "specialized_sme_certification"]
    with pytest.raises(pipeline.RunError, match="tech_sme_evaluation not paid .*GXQ_POLICY_EXAMPLES=1"):
        pipeline.plan_batch(A, "2021-03", policy_ids=["tech_sme_evaluation"])


def test_examples_paid_where_the_deployment_turns_them_on(dbs, monkeypatch):
    dept, _ops = dbs
    monkeypatch.setenv(catalogue.EXAMPLES_ENV, "1")
    _data(dept)
    report = _run(M, "2021-03")
    assert sorted({i["policy_id"] for i in report["items"]}) == ["employment_subsidy", "hte_first_certification",
                                                               "tech_sme_evaluation"]
    assert report["rules"]["skipped_examples"] == [] and len(report["rules"]["evaluated"]) == 3
    # the frozen batch says the same on a rerun, whatever the setting is then
    monkeypatch.delenv(catalogue.EXAMPLES_ENV)
    assert _run(M, "2021-03") == report


def test_a_rule_out_of_force_is_skipped(monkeypatch):
    import dataclasses

    from gxq.periods import parse_key

    hte = catalogue.get("hte_first_certification")
    monkeypatch.setitem(catalogue.CATALOGUE, hte.id, dataclasses.replace(hte, in_force_until="2021-02-28"))
    assert catalogue.skip_reason(catalogue.get(hte.id), parse_key("2021-03")) == "not_in_force"
    assert catalogue.skip_reason(catalogue.get(hte.id), parse_key("2021-02")) is None
    rules = catalogue.rules_of("monthly", parse_key("2021-03"), [])
    assert rules["skipped_not_in_force"] == [hte.id]
    with pytest.raises(ValueError, match="文号"):
        dataclasses.replace(hte, document_no="")


def test_dashboard_names_the_rules_of_each_batch(dbs, monkeypatch):
    from gxq.dashboard import queries

    dept, ops = dbs
    monkeypatch.delenv(catalogue.EXAMPLES_ENV, raising=False)
    _data(dept)
    _run(M, "2021-03")
    row = queries.batches_section(ops).rows[0]
    assert row["rules_evaluated"] == ["高新技术企业首次认定奖励"]
    assert row["rules_skipped"] == ["稳岗用工补贴", "科技型中小企业评价入库奖励"]
