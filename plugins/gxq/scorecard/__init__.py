"""绩效考核 (unit performance scorecard): each responsible unit's month on one page, from what the
other DAGs issued (their reports kept in gxq_ops), scored under the office's weights
(``weights.yaml``), every point lost traced to the item that lost it, units ranked.

- :mod:`gxq.scorecard.weights`  the office's weights, dated versions, checked when loaded
- :mod:`gxq.scorecard.sources`  what each input report says against a unit (charges)
- :mod:`gxq.scorecard.scoring`  points, caps, score, ranking, change, quarterly/yearly roll-ups
- :mod:`gxq.scorecard.compute`  a month's report from the inputs in gxq_ops (missing inputs named)
"""
