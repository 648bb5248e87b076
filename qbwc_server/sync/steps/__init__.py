"""One step per QuickBooks action; `STEPS` registers each once, and the engine dispatches on the item's action.

Adding an action is a step module (its render and its handle), its template, and one line here.
"""

from __future__ import annotations

from qbwc_server.models import QueueAction
from qbwc_server.sync.steps.base import Answering, Drafting, LogLine, Refusal, Result, Step, Transition
from qbwc_server.sync.steps.credit import ApplyCreditStep
from qbwc_server.sync.steps.deactivate import DeactivateStep
from qbwc_server.sync.steps.lookup import LookupStep
from qbwc_server.sync.steps.refresh import RefreshStep
from qbwc_server.sync.steps.send import SendStep
from qbwc_server.sync.steps.void import DeleteStep, VoidStep

STEPS: dict[QueueAction, Step] = {
    step.action: step
    for step in (
        SendStep(),
        LookupStep(),
        RefreshStep(),
        VoidStep(),
        DeleteStep(),
        DeactivateStep(),
        ApplyCreditStep(),
    )
}

__all__ = ["STEPS", "Answering", "Drafting", "LogLine", "Refusal", "Result", "Step", "Transition"]
