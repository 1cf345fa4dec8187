"""政策兑现 (policy redemption): 月兑现、季兑现、随时兑现, paid at most once.

- :mod:`gxq.policy.model`      Policy, DatedParameter (OpenFisca-style dated amounts), Candidate
- :mod:`gxq.policy.rules`      award formulas over the candidates' columns (numpy, integer fen)
- :mod:`gxq.policy.catalogue`  the reviewed policy catalogue, one module + YAML cases per policy
- :mod:`gxq.policy.evaluate`   set-wise eligibility over dept_policy (SQL in include/sql/policy/)
- :mod:`gxq.policy.batches`    batches, withheld list and payment ledger in gxq_ops (one transaction)
- :mod:`gxq.policy.render`     finance workbook, 兑现公示 HTML, notices (templates/policy/)
- :mod:`gxq.policy.pipeline`   the DAG tasks' bodies

Runs without Airflow.
"""

# The reviewer's choices in Required Actions (the options of the review step's HITL request,
# gxq.policy.review decides on them). Here, not in review.py, so that a DAG file building the
# request does not import review's SQLAlchemy tables at parse time (python -m bench.importtime).
APPROVE = "批准"
APPROVE_WITH_HOLDS = "批准(暂缓所填奖励)"
REJECT = "驳回"
# Chosen by policy_review_watch (through the REST API) when the batch was issued meanwhile by
# another run: the request is closed, this run issues and pays nothing (a person choosing it while
# the batch is not issued gets the answer refused).
SUPERSEDED = "已由其他运行出具"
OPTIONS = [APPROVE, APPROVE_WITH_HOLDS, REJECT, SUPERSEDED]
# The review form's field of the awards to hold. Not ``hold``: a HITL operator's form fields share
# the DAG params' namespace, and a field named like the run param ``hold`` (a list) replaced its
# schema, so that every run given the documented list failed before review.
HOLD_FIELD = "hold_awards"
