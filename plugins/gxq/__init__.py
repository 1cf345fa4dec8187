"""gxq — 大连高新区优化营商环境工作实施方案 cadences as code.

The domain package of the project. It lives in ``plugins/`` (on Airflow's ``sys.path``) and runs
and tests without Airflow: plain functions and dataclasses, one module or subpackage per
capability. DAG files in ``dags/`` stay thin and import from here.
"""
