import datetime as dt
import json

import pytest
import sqlalchemy as sa
from gxq import output, sql
from gxq.rates import rate


def test_dialect_helpers_expand_to_identifiers_only():
    assert sql.render.__doc__ is not None
    with pytest.raises(ValueError):
        sql._check_identifier("x); DROP TABLE y; --")


def test_value_normalisation():
    assert sql.to_dt("2021-03-01 09:00:00") == dt.datetime(2021, 3, 1, 9)
    assert sql.to_dt("") is None and sql.to_dt(None) is None
    assert sql.to_dt(dt.datetime(2021, 3, 1, 9)) == dt.datetime(2021, 3, 1, 9)
    assert sql.to_bool("true") and sql.to_bool(1) and not sql.to_bool(0) and not sql.to_bool("f")


def test_rate():
    assert rate(1, 3) == 0.3333 and rate(0, 0) is None and rate(2, 2) == 1.0


def test_require_columns_names_table_and_column(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.begin() as c:
        c.execute(sa.text("CREATE TABLE petitions (petition_id TEXT)"))
    with pytest.raises(sql.DepartmentSchemaError, match="'petitions' lacks column.*received_at"):
        sql.require_columns(engine, "petitions", ["petition_id", "received_at"])
    with pytest.raises(sql.DepartmentSchemaError, match="'units' is missing"):
        sql.require_columns(engine, "units", ["unit_code"])


def test_report_written_atomically_utf8(output_dir):
    path = output.write_report("d", "2021-W09", {"话题": "供暖", "rate": None})
    text = path.read_text(encoding="utf-8")
    assert "供暖" in text and json.loads(text) == {"话题": "供暖", "rate": None}
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]
