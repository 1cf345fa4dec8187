"""三轮评估 整改跟踪 (``assessment_rectification``): every finding of the third-party business-environment
assessment rounds followed to 销号, and each indicator's score and city rank across rounds, from
``dept_supervision`` (the plan's 发现问题—研究问题—解决问题 loop).

- :mod:`gxq.assessment.rules` - finding states, overdue, indicators, data problems (plain functions);
- :mod:`gxq.assessment.source` - reads the four assessment tables of ``dept_supervision``;
- :mod:`gxq.assessment.weekly` - the week's report (contract keys and extras);
- :mod:`gxq.assessment.render` / :mod:`gxq.assessment.notices` - texts, documents, notices;
- :mod:`gxq.assessment.pipeline` - what the DAG's tasks call.
"""
