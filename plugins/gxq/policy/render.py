"""What people read (面向人的产出): the finance batch workbook, the 兑现公示 HTML list and the
notices to finance, to each policy's competent unit (主管部门) and, for 双承诺 shortfalls, to the
responsible unit. Every text comes from include/templates/policy/ and goes through mask_text.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from pathlib import Path

from gxq import cadences, office, templating
from gxq.masking import mask_text
from gxq.output import write_bytes, write_text
from gxq.policy import catalogue
from gxq.policy.batches import Batch
from gxq.policy.commitments import responsible_unit
from gxq.policy.evaluate import PROBLEMS
from gxq.policy.model import money

REASON_CN = {"unknown_enterprise": "企业未登记 (unknown_enterprise)", "dishonest": "严重失信 (dishonest)",
             "abnormal": "经营异常 (abnormal)", "held_by_review": "审核暂缓 (held_by_review)"}
VIA_CN = {"ui": "Airflow 待办审核", "param": "线下签批(运行参数)"}


def approval_lines(batch: Batch) -> list[tuple[str, str]]:
    """审核 (who approved the batch, how, when, note, who triggered the run) as label/value pairs."""
    ap = batch.approval
    if not ap:
        return []
    lines = [("审核人", ap["by"]), ("审批文号", ap["ref"]), ("审核方式", VIA_CN.get(ap["via"], ap["via"])),
             ("审核时间", ap.get("decided_at") or "")]
    if ap.get("note"):
        lines.append(("审核意见", ap["note"]))
    if ap.get("triggered_by"):
        lines.append(("运行触发", trigger_words(ap["triggered_by"])))
    return [(k, mask_text(str(v))) for k, v in lines]


def rule_lines(batch: Batch) -> list[tuple[str, str]]:
    """Which rules the batch evaluated and which of its cadence it skipped (示例规则 not enabled,
    documents not in force), as label/value pairs for the workbook, 公示 and notices."""
    from gxq.periods import parse_key

    rules = catalogue.rules_of(batch.cadence, parse_key(batch.period_key), batch.policy_ids)
    names = lambda ids: "、".join(_policy_name(pid) for pid in ids) or "无"
    lines = [("本批次核定的政策", "、".join(_rule_with_document(pid) for pid in rules["evaluated"])),
             ("未纳入的示例规则(虚构,本部署未启用)", names(rules["skipped_examples"]))]
    if rules["skipped_not_in_force"]:
        lines.append(("未纳入(文件不在有效期内)", names(rules["skipped_not_in_force"])))
    return lines


def _rule_with_document(pid: str) -> str:
    p = catalogue.CATALOGUE.get(pid)
    if p is None:
        return pid
    return f"{p.name}(示例规则,虚构)" if p.invented else f"{p.name}({p.document_no})"


def trigger_words(value: str | None) -> str:
    """Who triggered a batch's run, in words (:func:`gxq.run.triggered_by` gives them to new runs).
    Batches issued before stored Airflow's repr (``DagRunType.SCHEDULED`` -> 定时调度) or a user's
    name (-> 手动触发（name）): said in words too."""
    from gxq import run

    text = str(value or "").strip()
    if text.startswith("DagRunType."):  # the member's name: BACKFILL_JOB is "backfill"
        return run.triggered_by(text.split(".", 1)[1].lower().removesuffix("_job"))
    if text.lower() in run.TRIGGERS:
        return run.triggered_by(text.lower())
    if not text or text.startswith((*run.TRIGGERS.values(), run.COMMAND_LINE, "其他")):
        return text or run.COMMAND_LINE
    return run.triggered_by("manual", text)


def hold_notes(batch: Batch) -> dict:
    """(policy_id, credit_code, basis_id) -> the reviewer's note, for the awards held in review."""
    return {(h["policy_id"], h["credit_code"], h["basis_id"]): h["note"] for h in (batch.approval or {}).get("holds") or []}


def _subject_body(name: str, **values) -> tuple[str, str]:
    subject, body = templating.render_notice(f"policy/{name}", **values)
    return mask_text(subject), mask_text(body)


def _f(value) -> float:
    return float(money(value))


def _policy_name(pid: str) -> str:
    p = catalogue.CATALOGUE.get(pid)
    return p.name if p else pid


def summary(batch: Batch) -> list[dict]:
    """Per policy of the batch: items, amount, withheld (the workbook's summary sheet)."""
    rows = []
    for pid in batch.policy_ids:
        p = catalogue.CATALOGUE.get(pid)
        its = [i for i in batch.items if i["policy_id"] == pid]
        whs = [w for w in batch.withheld if w["policy_id"] == pid]
        rows.append({
            "policy_id": pid, "name": _policy_name(pid), "kind": p.kind if p else "",
            "unit": p.competent_unit if p else "", "unit_name": p.competent_unit_name if p else "",
            "count": len(its), "amount": _f(sum((money(i["amount"]) for i in its), money(0))),
            "withheld": len(whs), "withheld_amount": _f(sum((money(w["amount"]) for w in whs), money(0))),
        })
    return rows


def trace_text(batch: Batch, award: dict) -> str:
    """兑现依据: the award's trace as one line, its sentences rendered from its columns
    (:meth:`Batch.trace`), the policy's name left out (the sheet names it)."""
    return mask_text("; ".join(f"{k}: {v}" for k, v in batch.trace(award).items() if k != "policy"))


def _xml_safe_batch(batch: Batch) -> Batch:
    return dataclasses.replace(batch, items=office.xml_safe(batch.items), withheld=office.xml_safe(batch.withheld),
                               shortfalls=office.xml_safe(batch.shortfalls),
                               data_problems=office.xml_safe(batch.data_problems), traces=office.xml_safe(batch.traces))


def workbook(batch: Batch, path: Path, dry_run: bool) -> Path:
    """One sheet per policy plus 汇总 (summary), 暂缓兑现, 双承诺, 数据问题; totals add up."""
    batch = _xml_safe_batch(batch)  # department text may hold control characters openpyxl refuses
    wb = office.workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append([f"政策兑现批次 {batch.batch_id}" + ("(试运行,未出具)" if dry_run else "")])
    ws.append(["兑现期间", batch.period_key, "类型", cadences.get(batch.dag_id).label,
               "出具时间", batch.issued_at])
    ap_lines = approval_lines(batch)
    if ap_lines:
        ws.append([x for pair in ap_lines[:4] for x in pair])
        if ap_lines[4:]:
            ws.append([x for pair in ap_lines[4:] for x in pair])
    elif not dry_run:
        ws.append(["审核", "无审核记录(本功能上线前出具的批次)"])
    else:
        ws.append(["审核", "待审核:审核通过前不得拨付"])
    for label, value in rule_lines(batch):
        ws.append([label, value])
    ws.append([])
    header = ["政策编号", "政策名称", "类别", "主管部门", "兑现笔数", "兑现金额(元)", "暂缓笔数", "暂缓金额(元)"]
    ws.append(header)
    office.bold_row(ws)
    rows = summary(batch)
    for r in rows:
        ws.append([r["policy_id"], r["name"], r["kind"], f'{r["unit_name"]} ({r["unit"]})', r["count"],
                   r["amount"], r["withheld"], r["withheld_amount"]])
    ws.append(["合计", "", "", "", sum(r["count"] for r in rows), _f(batch.total_amount),
               sum(r["withheld"] for r in rows), sum(r["withheld_amount"] for r in rows)])
    office.bold_row(ws)
    for col, width in zip("ABCDEFGH", (30, 26, 10, 34, 10, 16, 10, 16)):
        ws.column_dimensions[col].width = width

    for pid in batch.policy_ids:
        sheet = wb.create_sheet(pid[:31])
        sheet.append([f"{_policy_name(pid)} ({pid})"])
        sheet.append(["统一社会信用代码", "企业名称", "依据编号", "依据日期", "金额(元)", "兑现依据"])
        office.bold_row(sheet)
        its = [i for i in batch.items if i["policy_id"] == pid]
        for i in its:
            sheet.append([i["credit_code"], mask_text(i["enterprise_name"] or ""), i["basis_id"], i["basis_on"],
                          _f(i["amount"]), trace_text(batch, i)])
        sheet.append(["合计", f"{len(its)} 笔", "", "", _f(sum((money(i["amount"]) for i in its), money(0))), ""])
        office.bold_row(sheet)
        for col, width in zip("ABCDEF", (24, 30, 16, 12, 14, 90)):
            sheet.column_dimensions[col].width = width

    sheet = wb.create_sheet("暂缓兑现")
    sheet.append(["政策编号", "统一社会信用代码", "企业名称", "依据编号", "依据日期", "金额(元)", "暂缓原因", "审核备注"])
    notes = hold_notes(batch)
    for w in batch.withheld:
        sheet.append([w["policy_id"], w["credit_code"], mask_text(w["enterprise_name"] or ""), w["basis_id"],
                      w["basis_on"], _f(w["amount"]), REASON_CN.get(w["reason"], w["reason"]),
                      mask_text(notes.get((w["policy_id"], w["credit_code"], w["basis_id"]), ""))])
    sheet = wb.create_sheet("双承诺")
    sheet.append(["承诺编号", "统一社会信用代码", "企业名称", "承诺类型", "到期日", "承诺金额", "完成金额", "责任单位"])
    for s in batch.shortfalls:
        sheet.append([s["commitment_id"], s["credit_code"], mask_text(s.get("enterprise_name") or ""),
                      s.get("kind"), s.get("due_on"), s["promised_amount"], s["fulfilled_amount"],
                      responsible_unit(s.get("kind"))[0]])
    sheet = wb.create_sheet("数据问题")
    sheet.append(["政策编号", "申请编号", "统一社会信用代码", "问题"])
    for d in batch.data_problems:
        sheet.append([d["policy_id"], d["application_id"], d.get("credit_code"),
                      f"{PROBLEMS.get(d['problem'], d['problem'])} ({d['problem']})"])

    return write_bytes(path, office.xlsx_bytes(wb))


def publicity_html(batch: Batch, path: Path, dry_run: bool) -> Path:
    """兑现公示: enterprise name, policy, amount; paid items only (not the withheld)."""
    rows = [{"enterprise_name": mask_text(i["enterprise_name"] or i["credit_code"]),
             "policy_name": _policy_name(i["policy_id"]), "amount": _f(i["amount"])}
            for i in sorted(batch.items, key=lambda i: (i["policy_id"], i["credit_code"], i["basis_id"]))]
    html = templating.render("policy/publicity.html.j2", 
        batch=batch, rows=rows, total=_f(batch.total_amount), dry_run=dry_run,
        cadence_cn=cadences.get(batch.dag_id).label, approval=approval_lines(batch),
        rules=rule_lines(batch))
    return write_text(path, html)


def notices(batch: Batch, workbook_path: Path, dry_run: bool) -> list[dict]:
    """The batch's notices as dicts (gxq.notify.Notice fields): finance, competent units, 双承诺."""
    kind_suffix = batch.batch_id
    out: list[dict] = []
    rows = summary(batch)
    withheld_total = _f(sum((money(w["amount"]) for w in batch.withheld), money(0)))
    subject, body = _subject_body(
        "finance_notice.md.j2", batch=batch, summary=rows, item_count=len(batch.items), total=_f(batch.total_amount),
        withheld_count=len(batch.withheld), withheld_total=withheld_total, data_problems=batch.data_problems,
        workbook_name=workbook_path.name, dry_run=dry_run, cadence_cn=cadences.get(batch.dag_id).label,
        approval=approval_lines(batch), held_count=sum(1 for w in batch.withheld if w["reason"] == "held_by_review"),
        rules=rule_lines(batch))
    out.append({"recipient": "finance", "kind": f"policy_batch:{kind_suffix}", "subject": subject, "body": body,
                "attachments": [str(workbook_path)]})

    by_unit: dict[str, list[str]] = defaultdict(list)
    for pid in batch.policy_ids:
        p = catalogue.CATALOGUE.get(pid)
        if p:
            by_unit[p.competent_unit].append(pid)
    for unit, pids in sorted(by_unit.items()):
        policies = []
        for pid in pids:
            p = catalogue.CATALOGUE[pid]
            its = [{**i, "amount": _f(i["amount"])} for i in batch.items if i["policy_id"] == pid]
            whs = [{**w, "amount": _f(w["amount"])} for w in batch.withheld if w["policy_id"] == pid]
            policies.append({"policy_id": pid, "name": p.name, "kind": p.kind, "awards": its, "held": whs,
                             "amount": sum(i["amount"] for i in its),
                             "data_problems": [d for d in batch.data_problems if d["policy_id"] == pid]})
        unit_name = catalogue.CATALOGUE[pids[0]].competent_unit_name
        subject, body = _subject_body("unit_notice.md.j2", batch=batch, unit=unit, unit_name=unit_name,
                                      policies=policies, reasons=REASON_CN, problem_labels=PROBLEMS,
                                      dry_run=dry_run)
        out.append({"recipient": unit, "kind": f"policy_unit:{kind_suffix}", "subject": subject, "body": body,
                    "attachments": []})

    by_resp: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for s in batch.shortfalls:
        by_resp[responsible_unit(s.get("kind"))].append(s)
    for (unit, unit_name), rows_ in sorted(by_resp.items()):
        subject, body = _subject_body("shortfall_notice.md.j2", batch=batch, unit=unit, unit_name=unit_name,
                                      shortfalls=rows_, dry_run=dry_run)
        out.append({"recipient": unit, "kind": f"commitment_shortfalls:{kind_suffix}", "subject": subject,
                    "body": body, "attachments": []})
    return out
