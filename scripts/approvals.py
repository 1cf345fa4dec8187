"""List and answer the 政策兑现 batches waiting for approval (审核后报财政), through Airflow's REST API.

The same requests people answer under Required Actions in the UI: ``GET
/api/v2/dags/~/dagRuns/~/hitlDetails`` lists them, ``PATCH .../taskInstances/review/-1/hitlDetails``
answers one. The answer is recorded as the user who logs in here (only users allowed to approve the
batch's cadence may answer: the api-server refuses others with 403).

    python scripts/approvals.py list
    python scripts/approvals.py approve --all [--dag policy_redemption_monthly] [--ref 高新财审〔2021〕12号]
    python scripts/approvals.py approve policy_redemption_monthly <run_id> --hold "policy_id | credit_code | basis_id | 备注"
    python scripts/approvals.py reject policy_redemption_monthly <run_id> --note "驳回理由"

Login: ``--user`` / ``--password`` (or ``AIRFLOW_USER`` / ``AIRFLOW_PASSWORD``); ``--base-url``
(default ``AIRFLOW__API__BASE_URL`` or http://localhost:8080).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

import requests

APPROVE, APPROVE_WITH_HOLDS, REJECT = "批准", "批准(暂缓所填奖励)", "驳回"
TASK_ID = "review"
HOLD_FIELD = "hold_awards"  # the form's field of the awards to hold (gxq.policy.HOLD_FIELD)


class Api:
    def __init__(self, base: str, user: str, password: str) -> None:
        self.base = base.rstrip("/")
        r = requests.post(f"{self.base}/auth/token", json={"username": user, "password": password}, timeout=30)
        r.raise_for_status()
        self.s = requests.Session()
        self.s.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    def pending(self, dag_id: str | None = None) -> list[dict]:
        """Every review request still waiting for an answer (oldest first)."""
        out, offset = [], 0
        while True:
            params = {"response_received": "false", "task_id": TASK_ID, "limit": 100, "offset": offset,
                      "order_by": "created_at", "dag_id_pattern": dag_id or "policy_redemption_"}
            r = self.s.get(f"{self.base}/api/v2/dags/~/dagRuns/~/hitlDetails", params=params, timeout=60)
            r.raise_for_status()
            page = r.json()["hitl_details"]
            out += [d for d in page if d["task_instance"]["dag_id"].startswith("policy_redemption_")]
            offset += len(page)
            if len(page) < 100:
                return out

    def answer(self, dag_id: str, run_id: str, option: str, hold: str | None = None, note: str | None = None,
               ref: str | None = None) -> dict:
        url = f"{self.base}/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{TASK_ID}/-1/hitlDetails"
        payload = {"chosen_options": [option], "params_input": {HOLD_FIELD: hold or None, "note": note or None,
                                                                "ref": ref or None}}
        r = self.s.patch(url, json=payload, timeout=60)
        if r.status_code >= 400:
            raise SystemExit(f"{dag_id} {run_id}: {r.status_code} {r.text[:300]}")
        return r.json()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--base-url", default=os.environ.get("AIRFLOW__API__BASE_URL") or "http://localhost:8080")
    ap.add_argument("--user", default=os.environ.get("AIRFLOW_USER"))
    ap.add_argument("--password", default=os.environ.get("AIRFLOW_PASSWORD"))
    sub = ap.add_subparsers(dest="cmd", required=True)
    ls = sub.add_parser("list", help="the batches waiting for approval")
    ls.add_argument("--dag")
    ls.add_argument("--json", action="store_true")
    for name in ("approve", "reject"):
        p = sub.add_parser(name)
        p.add_argument("dag_id", nargs="?")
        p.add_argument("run_id", nargs="?")
        p.add_argument("--all", action="store_true", help="every waiting batch (with --dag: of that DAG)")
        p.add_argument("--dag")
        p.add_argument("--note", help="审核意见 (reject: the reason, required)")
        p.add_argument("--ref", help="审批文号 (签批 / 文件 number)")
        if name == "approve":
            p.add_argument("--hold", action="append", default=[],
                           help="an award to hold: 'policy_id | credit_code | basis_id | 备注' (repeatable)")
    args = ap.parse_args(argv)
    if not (args.user and args.password):
        ap.error("--user and --password (or AIRFLOW_USER / AIRFLOW_PASSWORD) are needed")
    api = Api(args.base_url, args.user, args.password)

    if args.cmd == "list":
        rows = api.pending(args.dag)
        if args.json:
            print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
            return 0
        for d in rows:
            ti = d["task_instance"]
            who = ",".join(u["name"] for u in d.get("assigned_users") or []) or "(any allowed user)"
            print(f"{ti['dag_id']}\t{ti['dag_run_id']}\t{d['created_at']}\t{d['subject']}\tapprovers: {who}")
        print(f"{len(rows)} batch(es) waiting", file=sys.stderr)
        return 0

    if args.cmd == "reject" and not args.note:
        ap.error("reject needs --note (the reason the data-owning units are told)")
    if args.all:
        targets = [(d["task_instance"]["dag_id"], d["task_instance"]["dag_run_id"]) for d in api.pending(args.dag)]
        if args.cmd == "approve" and args.hold:
            ap.error("--hold names awards of one batch: answer that batch on its own")
    elif args.dag_id and args.run_id:
        targets = [(args.dag_id, args.run_id)]
    else:
        ap.error("name DAG_ID RUN_ID, or --all")
    for dag_id, run_id in targets:
        if args.cmd == "reject":
            option, hold = REJECT, None
        else:
            hold = "\n".join(args.hold) if args.hold else None
            option = APPROVE_WITH_HOLDS if hold else APPROVE
        res = api.answer(dag_id, run_id, option, hold=hold, note=args.note, ref=args.ref)
        print(f"{dag_id}\t{run_id}\t{res['chosen_options'][0]}\tby {res['responded_by']['name']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
