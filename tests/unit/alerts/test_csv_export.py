from __future__ import annotations

import csv
import io
from uuid import uuid4

from alerts.csv_export import to_csv


def _rows(body: bytes | memoryview) -> list[list[str]]:
    return list(csv.reader(io.StringIO(bytes(body).decode("utf-8-sig"))))


def test_a_csv_has_its_header_then_one_line_per_row_with_none_as_empty() -> None:
    alarm = uuid4().hex[:8]
    response = to_csv(("alarm_id", "closed_at"), [(alarm, None)], "alarms.csv")
    assert _rows(response.body) == [["alarm_id", "closed_at"], [alarm, ""]]


def test_a_csv_starts_with_a_bom_so_spreadsheets_read_chinese_text() -> None:
    response = to_csv(("location",), [("罐区A-1",)], "x.csv")
    assert bytes(response.body).startswith("\ufeff".encode())
    assert _rows(response.body)[1] == ["罐区A-1"]


def test_commas_quotes_and_newlines_survive_the_round_trip() -> None:
    tricky = 'a,b "c"\nd'
    response = to_csv(("comment",), [(tricky,)], "x.csv")
    assert _rows(response.body)[1] == [tricky]
    assert 'filename="x.csv"' in response.headers["content-disposition"]
