"""Cold-import figure: budgets per function and the `-X importtime` diagnosis of a missed one."""

from __future__ import annotations

from bench import cold_import

BOTO3 = """import time: self [us] | cumulative | imported package
import time:       100 |        100 |     botocore.compat
import time:       200 |        300 |   botocore.session
import time:        50 |        350 | boto3
"""
HANDLER = """import time: self [us] | cumulative | imported package
import time:       100 |        100 |       botocore.compat
import time:       200 |        300 |     botocore.session
import time:     40000 |      40300 |   pynamodb.connection
import time:     30000 |      30000 |       pydantic_core
import time:     20000 |      50000 |     pydantic
import time:      5000 |      55000 |   sideconv.api.schemas
import time:      1000 |      96300 | sideconv.api.app
import time:     70000 |      70000 |   aws_lambda_powertools.logging
import time:       500 |     166800 | handler
"""


def test_budgets_follow_the_issue() -> None:
    assert cold_import.budget_for("slack_events") == 1.2
    assert cold_import.budget_for("api") == 1.6
    assert cold_import.budget_for("send_email") == 1.5
    assert cold_import.budget_for("a_function_added_later") == 1.5


def test_each_import_knows_who_imported_it() -> None:
    lines = {line.name: line for line in cold_import.parse_importtime(HANDLER)}
    assert lines["pydantic_core"].parent == "pydantic"
    assert lines["pydantic"].parent == "sideconv.api.schemas"
    assert lines["pynamodb.connection"].parent == "sideconv.api.app"
    assert lines["aws_lambda_powertools.logging"].parent == "handler"
    assert lines["handler"].parent is None


def test_what_an_import_adds_excludes_what_boto3_imports_anyway() -> None:
    lines = cold_import.parse_importtime(HANDLER)
    costs = cold_import.exclusive_costs(lines, {"botocore.compat", "botocore.session", "boto3"})
    by_name = {line.name: costs[i] for i, line in enumerate(lines)}
    assert by_name["pynamodb.connection"] == 40000  # botocore's 300 us is boto3's too
    assert by_name["pydantic"] == 50000


def test_diagnosis_names_the_importing_module_and_the_heaviest_extra_first() -> None:
    found = cold_import.heaviest_extra(HANDLER, BOTO3)
    assert [(line.parent, line.name, cost) for line, cost in found] == [
        ("handler", "aws_lambda_powertools.logging", 70000),
        ("sideconv.api.schemas", "pydantic", 50000),
        ("sideconv.api.app", "pynamodb.connection", 40000),
    ]


def test_the_import_alone_is_timed_inside_a_fresh_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    import pytest

    assert 0 < cold_import._import_once("json", dict(os.environ), str(tmp_path)) < 5
    with pytest.raises(RuntimeError, match="import no_such_module_here"):
        cold_import._import_once("no_such_module_here", dict(os.environ), str(tmp_path))
