"""The steps of the three 政策兑现 DAGs (check_schema → evaluate → issue_batch → render →
publish_report → notify), as plain functions that run and test without Airflow. They pass small
dicts (the run plan) and file paths between them; the batch itself lives in gxq_ops.

``python -m gxq.policy.pipeline --dag policy_redemption_monthly --period 2021-03`` runs one batch
outside Airflow; ``--year 2021`` runs every month and quarter of a year (the scheduled DAGs' batches).
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import defaultdict
from pathlib import Path

from gxq import cadences, output, store
from gxq.connections import engine_for
from gxq.notify import Notice, deliver
from gxq.periods import PeriodError, parse_key
from gxq.policy import batches, catalogue
from gxq.policy import render as rendering
from gxq.policy.batches import Batch, BatchSpec, ledger_duplicates, ledger_totals
from gxq.policy.catalogue import PolicyParamError, parse_policy_ids
from gxq.policy.evaluate import Evaluation, check_columns
from gxq.policy.evaluate import evaluate as run_rules
from gxq.policy.model import money_json

log = logging.getLogger(__name__)

# The 政策兑现 DAGs (gxq.cadences): their cadence (monthly | quarterly | adhoc) names the policies
# they pay, their period kinds what a period param may be.
POLICY_DAGS = {c.dag_id: c for c in cadences.in_area("policy")}


class PolicyRunError(ValueError):
    """A run that cannot start: bad params (period, policy_ids), named in the message."""


def plan(dag_id: str, period_key: str, policy_ids=None, dry_run: bool = False, resend: bool = False,
         run_id: str | None = None) -> dict:
    """Validate the run's params before any query and fix what the run covers (its batch)."""
    if dag_id not in POLICY_DAGS:
        raise PolicyRunError(f"not a policy redemption DAG: {dag_id!r}")
    cadence = POLICY_DAGS[dag_id].cadence
    try:
        period = parse_key(period_key, POLICY_DAGS[dag_id].kinds)
    except PeriodError as exc:
        raise PolicyRunError(f"{dag_id}: period: {exc}") from None
    if cadence == "adhoc":
        try:
            ids = parse_policy_ids(policy_ids)
        except PolicyParamError as exc:
            raise PolicyRunError(f"{dag_id}: {exc}") from None
    else:
        if policy_ids not in (None, "", []):
            raise PolicyRunError(f"{dag_id}: policy_ids is an adhoc (随时兑现) param; scheduled runs pay their cadence's policies")
        ids = [p.id for p in catalogue.for_cadence(cadence)]
    spec = BatchSpec(dag_id, cadence, period.key, tuple(ids))
    return {"dag_id": dag_id, "cadence": cadence, "period_key": period.key, "policy_ids": ids,
            "batch_id": spec.batch_id, "batch_key": spec.batch_key, "dry_run": bool(dry_run),
            "resend": bool(resend), "run_id": run_id}


def _spec(p: dict):
    return BatchSpec(p["dag_id"], p["cadence"], p["period_key"], tuple(p["policy_ids"]))


def run_dir(p: dict) -> Path:
    """Where the run's files go: the period folder (adhoc: its batch_id subfolder), and dry_run/ below it
    for a dry run. An issued run's report.json is always also at the contract path <dag_id>/<period>/."""
    base = output.period_dir(p["dag_id"], p["period_key"])
    if p["cadence"] == "adhoc":  # several adhoc batches may share a period: one folder each
        base = base / p["batch_id"]
        base.mkdir(parents=True, exist_ok=True)
    if p["dry_run"]:
        base = base / "dry_run"
        base.mkdir(parents=True, exist_ok=True)
    return base


def check_schema(p: dict) -> dict:
    """gxq_ops created/migrated first; dept_policy has every column the rules read."""
    store.ops_engine()
    check_columns(engine_for("dept_policy"))
    return p


def evaluate(p: dict) -> str:
    """Every candidate award of the run's policies up to the period's end; path of its JSON."""
    period = parse_key(p["period_key"])
    policies = [catalogue.get(pid) for pid in p["policy_ids"]]
    ev = run_rules(engine_for("dept_policy"), period, policies, with_commitments=p["cadence"] == "quarterly")
    path = run_dir(p) / f".evaluation-{p['batch_id']}.json"
    output.write_text(path, json.dumps(ev.to_json(), ensure_ascii=False))
    log.info("%s %s: %d candidate award(s), %d data problem(s), %d shortfall(s)", p["dag_id"],
             p["period_key"], len(ev.candidates), len(ev.data_problems), len(ev.shortfalls))
    return str(path)


def issue_batch(p: dict, evaluation_path: str) -> str:
    """Issue the batch (one transaction, frozen once issued) or, on a dry run, preview it."""
    ev = Evaluation.from_json(json.loads(Path(evaluation_path).read_text(encoding="utf-8")))
    engine = store.ops_engine()
    if p["dry_run"]:
        batch = batches.preview(engine, _spec(p), ev)
    else:
        batch = batches.issue(engine, _spec(p), ev, run_id=p.get("run_id"))
    log.info("batch %s (%s): %d item(s), %s yuan, %d withheld%s", batch.batch_id, batch.status,
             len(batch.items), batch.total_amount, len(batch.withheld),
             "; newly issued" if batch.newly_issued else "; as issued before (frozen)")
    path = run_dir(p) / "batch.json"
    output.write_text(path, json.dumps(batch.to_json(), ensure_ascii=False, indent=1))
    return str(path)


def _load_batch(path: str):
    return Batch.from_json(json.loads(Path(path).read_text(encoding="utf-8")))


def render(p: dict, batch_path: str) -> dict:
    """Workbook, 兑现公示 HTML and the notices; returns {files, notices}."""
    batch = _load_batch(batch_path)
    folder = run_dir(p)
    dry = p["dry_run"] or batch.status == "dry_run"
    xlsx = rendering.workbook(batch, folder / f"finance_batch_{batch.batch_id}.xlsx", dry)
    html = rendering.publicity_html(batch, folder / "publicity.html", dry)
    notices = rendering.notices(batch, xlsx, dry)
    for n in notices:  # a readable copy of each notice beside the report
        name = f"notice_{n['recipient']}_{n['kind'].split(':')[0]}.md"
        output.write_text(folder / "notices" / name, f"# {n['subject']}\n\n{n['body']}")
    return {"files": [xlsx.name, html.name], "notices": notices}


def build_report(batch, files: list[str] | None = None) -> dict:
    """report.json (docs/reference.md keys; extra keys allowed): identical for a rerun of a frozen batch."""
    def award(a: dict, *extra: str) -> dict:
        d = {"policy_id": a["policy_id"], "credit_code": a["credit_code"], "basis_id": a["basis_id"]}
        for k in extra:
            d[k] = money_json(a[k]) if k == "amount" else a[k]
        return d

    key = lambda a: (a["policy_id"], a["credit_code"], a["basis_id"])
    report = {
        "period": batch.period_key,
        "cadence": batch.cadence,
        "batch_id": batch.batch_id,
        "items": [award(a, "amount") for a in sorted(batch.items, key=key)],
        "withheld": [award(a, "reason") for a in sorted(batch.withheld, key=key)],
        "total_amount": money_json(batch.total_amount),
        "commitment_shortfalls": [
            {"commitment_id": s["commitment_id"], "credit_code": s["credit_code"],
             "promised_amount": s["promised_amount"], "fulfilled_amount": s["fulfilled_amount"],
             "kind": s.get("kind"), "due_on": s.get("due_on")}
            for s in sorted(batch.shortfalls, key=lambda s: s["commitment_id"])
        ] if batch.cadence == "quarterly" else [],
        # extra keys
        "status": batch.status,
        "issued_at": batch.issued_at,
        "policy_ids": list(batch.policy_ids),
        "by_policy": [{k: row[k] for k in ("policy_id", "count", "amount", "withheld", "withheld_amount")}
                      for row in rendering.summary(batch)],
        "data_problems": sorted(batch.data_problems, key=lambda d: (d["policy_id"], d["application_id"])),
    }
    for row in report["by_policy"]:
        row["amount"] = money_json(row["amount"])
        row["withheld_amount"] = money_json(row["withheld_amount"])
    if files is not None:
        report["files"] = sorted(files)
    return report


def publish_report(p: dict, batch_path: str, rendered: dict) -> str:
    """Write report.json last (dry runs: under dry_run/, not recorded in gxq_ops)."""
    batch = _load_batch(batch_path)
    report = build_report(batch, rendered.get("files"))
    if p["dry_run"]:
        report["dry_run"] = True
        path = output.write_text(run_dir(p) / "report.json", output.report_json(report))
    else:
        if p["cadence"] == "adhoc":  # the batch's own copy, beside its files
            output.write_text(run_dir(p) / "report.json", output.report_json(report))
        path = output.write_report(p["dag_id"], p["period_key"], report)
        store.record_report(store.ops_engine(), p["dag_id"], p["period_key"], report, run_id=p.get("run_id"))
    return str(path)


def notify(p: dict, rendered: dict) -> dict:
    """Send the notices through the outbox (dry run: recorded, not sent)."""
    notices = [Notice(recipient=n["recipient"], kind=n["kind"], subject=n["subject"], body=n["body"],
                      attachments=list(n.get("attachments") or [])) for n in rendered["notices"]]
    result = deliver(p["dag_id"], p["period_key"], notices, dry_run=p["dry_run"], resend=p["resend"],
                     run_id=p.get("run_id"))
    return result.to_dict()


def run(dag_id: str, period_key: str, policy_ids=None, dry_run: bool = False, resend: bool = False,
        run_id: str | None = None, send: bool = True) -> dict:
    """Every step in order, outside Airflow; returns the report."""
    p = check_schema(plan(dag_id, period_key, policy_ids, dry_run, resend, run_id))
    batch_path = issue_batch(p, evaluate(p))
    rendered = render(p, batch_path)
    report_path = publish_report(p, batch_path, rendered)
    if send:
        notify(p, rendered)
    return json.loads(Path(report_path).read_text(encoding="utf-8"))


def year_periods(year: int) -> list[tuple[str, str]]:
    """(dag_id, period) of every scheduled batch of a year, in the order the schedule issues them."""
    out = []
    for m in range(1, 13):
        out.append(("policy_redemption_monthly", f"{year}-{m:02d}"))
        if m % 3 == 0:
            out.append(("policy_redemption_quarterly", f"{year}-Q{m // 3}"))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="政策兑现 batches outside Airflow")
    ap.add_argument("--dag", choices=sorted(POLICY_DAGS))
    ap.add_argument("--period")
    ap.add_argument("--policy-ids", default=None, help="adhoc: comma-separated policy ids")
    ap.add_argument("--year", type=int, help="run every month and quarter of the year")
    ap.add_argument("--times", type=int, default=1, help="with --year: run the whole year this many times")
    ap.add_argument("--dry-run", action="store_true")
    ap.add_argument("--no-send", action="store_true", help="skip the notify step")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if args.year:
        first: dict = {}
        changed = 0
        for n in range(args.times):
            for dag_id, key in year_periods(args.year):
                rep = run(dag_id, key, dry_run=args.dry_run, send=not args.no_send)
                if n == 0:
                    first[(dag_id, key)] = rep
                elif rep != first[(dag_id, key)]:
                    changed += 1
        per_policy = defaultdict(lambda: [0, 0])
        for rep in first.values():
            for item in rep["items"]:
                per_policy[item["policy_id"]][0] += 1
                per_policy[item["policy_id"]][1] += item["amount"]
        withheld_open = {(w["policy_id"], w["credit_code"], w["basis_id"])
                         for w in first[year_periods(args.year)[-1]]["withheld"]}
        print(f"{'policy':32s} {'awards':>7s} {'paid (yuan)':>17s}")
        for pid in sorted(catalogue.CATALOGUE):
            n, amount = per_policy.get(pid, (0, 0))
            print(f"{pid:32s} {n:7d} {amount:17,.2f}")
        print(f"{'TOTAL':32s} {sum(v[0] for v in per_policy.values()):7d} "
              f"{sum(v[1] for v in per_policy.values()):17,.2f}")
        engine = store.ops_engine()
        ledger_n, ledger_sum = ledger_totals(engine)
        print(f"ledger rows {ledger_n}, ledger total {ledger_sum:,.2f}; still withheld at year end "
              f"{len(withheld_open)}; passes {args.times}; rerun reports that differ from the first: {changed}; "
              f"ledger duplicates: {ledger_duplicates(engine)}")
        return 0
    if not (args.dag and args.period):
        ap.error("--dag and --period, or --year")
    rep = run(args.dag, args.period, args.policy_ids, dry_run=args.dry_run, send=not args.no_send)
    print(json.dumps({k: rep[k] for k in ("period", "batch_id", "total_amount")}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
