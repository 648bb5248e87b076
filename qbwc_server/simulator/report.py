"""What a fake Web Connector session did: the call transcript and the counters a user looks at."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .processor import ProcessResult

SECRET_PARAMS = {"strPassword"}


def abbreviate(value: Any, limit: int = 80) -> str:
    """Shorten long parameters (qbXML bodies) for the transcript."""
    text = "" if value is None else str(value)
    if len(text) <= limit:
        return text
    return f"{text[:60]}… ({len(text)} chars)"


@dataclass
class Call:
    """One SOAP call of the session: method, abbreviated parameters, result and time taken."""

    method: str
    params: dict[str, str]
    result: str
    seconds: float
    fault: str | None = None


@dataclass
class SessionReport:
    """Everything one update session did, for tests, benchmarks and the simulate command."""

    calls: list[Call] = field(default_factory=list)
    outcome: str = "not started"
    ticket: str | None = None
    server_version: str | None = None
    messages: list[str] = field(default_factory=list)
    round_trips: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    added: Counter[str] = field(default_factory=Counter)
    modified: Counter[str] = field(default_factory=Counter)
    voided: Counter[str] = field(default_factory=Counter)
    deleted: Counter[str] = field(default_factory=Counter)
    status_codes: Counter[int] = field(default_factory=Counter)
    errors: list[dict[str, Any]] = field(default_factory=list)
    parse_errors: int = 0
    qb_seconds: float = 0.0
    seconds: float = 0.0
    hcp_response: str = ""

    def record(self, method: str, params: dict[str, Any], result: Any, seconds: float, fault: str | None) -> None:
        """Append a call to the transcript, never keeping the password."""
        shown = {k: ("***" if k in SECRET_PARAMS else abbreviate(v)) for k, v in params.items()}
        self.calls.append(Call(method, shown, abbreviate(result), seconds, fault))

    def count(self, result: ProcessResult) -> None:
        """Add one processed message set to the counters."""
        for outcome in result.outcomes:
            self.requests[outcome.request] += 1
            if outcome.change and outcome.code == 0:
                counters = {"add": self.added, "void": self.voided, "delete": self.deleted}
                counters.get(outcome.change[0], self.modified)[outcome.change[1]] += 1
            if outcome.code != 0:
                self.status_codes[outcome.code] += 1
            if outcome.severity in ("Warn", "Error"):
                self.errors.append(
                    {
                        "request": outcome.request,
                        "requestID": outcome.request_id,
                        "code": outcome.code,
                        "severity": outcome.severity,
                        "message": outcome.message,
                    }
                )

    @property
    def methods(self) -> list[str]:
        """Return the names of the calls made, in order."""
        return [call.method for call in self.calls]

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "outcome": self.outcome,
            "server_version": self.server_version,
            "messages": self.messages,
            "round_trips": self.round_trips,
            "requests": dict(self.requests),
            "added": dict(self.added),
            "modified": dict(self.modified),
            "voided": dict(self.voided),
            "deleted": dict(self.deleted),
            "status_codes": {str(k): v for k, v in self.status_codes.items()},
            "errors": self.errors,
            "parse_errors": self.parse_errors,
            "qb_seconds": round(self.qb_seconds, 6),
            "seconds": round(self.seconds, 6),
            "calls": [
                {
                    "method": c.method,
                    "params": c.params,
                    "result": c.result,
                    "seconds": round(c.seconds, 6),
                    **({"fault": c.fault} if c.fault else {}),
                }
                for c in self.calls
            ],
        }
