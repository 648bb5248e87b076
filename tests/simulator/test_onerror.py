"""onError semantics of a message set and requestID echoing."""

from __future__ import annotations

from qbwc_server.simulator import FakeCompany

from .helpers import qbxml, responses, status

SET = (
    '<CustomerAddRq requestID="a"><CustomerAdd><Name>First New</Name></CustomerAdd></CustomerAddRq>'
    '<CustomerAddRq requestID="b"><CustomerAdd><Name>Smith, John</Name></CustomerAdd></CustomerAddRq>'
    '<CustomerAddRq requestID="c"><CustomerAdd><Name>Second New</Name></CustomerAdd></CustomerAddRq>'
)


def names(company: FakeCompany) -> set[str]:
    return {c["Name"] for c in company.state.lists["Customer"].values()}


def test_stop_on_error_answers_up_to_the_error(company: FakeCompany) -> None:
    answers = responses(company.process(qbxml(SET, on_error="stopOnError")))
    assert [(rs.get("requestID"), status(rs)[0]) for rs in answers] == [("a", 0), ("b", 3100)]
    assert "First New" in names(company) and "Second New" not in names(company)


def test_continue_on_error_answers_everything(company: FakeCompany) -> None:
    answers = responses(company.process(qbxml(SET, on_error="continueOnError")))
    assert [(rs.get("requestID"), status(rs)[0]) for rs in answers] == [("a", 0), ("b", 3100), ("c", 0)]
    assert {"First New", "Second New"} <= names(company)


def test_rollback_on_error_undoes_earlier_requests(company: FakeCompany) -> None:
    answers = responses(company.process(qbxml(SET, on_error="rollbackOnError")))
    assert [status(rs)[0] for rs in answers] == [0, 3100]
    assert "First New" not in names(company)
    # The company still works after the rollback (indexes rebuilt).
    again = responses(company.process(qbxml(SET.split("</CustomerAddRq>")[0] + "</CustomerAddRq>")))
    assert status(again[0])[0] == 0


def test_warnings_do_not_stop_the_set(company: FakeCompany) -> None:
    answers = responses(
        company.process(
            qbxml(
                "<CustomerQueryRq><FullName>Nobody</FullName></CustomerQueryRq>"
                '<CustomerAddRq requestID="z"><CustomerAdd><Name>After Warning</Name></CustomerAdd></CustomerAddRq>'
            )
        )
    )
    assert [status(rs)[0] for rs in answers] == [500, 0]
    assert answers[0].get("requestID") is None
