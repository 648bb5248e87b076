"""FakeCompany: a stateful stand-in for a QuickBooks Desktop company file and its request processor."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import processor, samples
from .company import CompanyInfo, CompanyState, CompanyStore
from .processor import ProcessResult


class FakeCompany(CompanyStore):
    """Answer qbXML like QuickBooks Desktop, keeping the company's records between sessions."""

    def __init__(
        self,
        state: CompanyState | None = None,
        *,
        schema_dir: str | Path | None = None,
        latency: float = 0.0,
    ) -> None:
        super().__init__(state, schema_dir=schema_dir)
        self.latency = latency

    # -- construction -----------------------------------------------------------------------------------
    @classmethod
    def empty(cls, *, name: str = "Sample Service Company", **kwargs: Any) -> FakeCompany:
        """Return a company with only the chart of accounts and reference lists."""
        company = cls(CompanyState(info=_info(name)), **kwargs)
        samples.build_reference_lists(company)
        return company

    @classmethod
    def demo(cls, *, name: str = "Sample Service Company", **kwargs: Any) -> FakeCompany:
        """Return the demo company: customers with jobs, items of every kind, vendors, an employee."""
        company = cls(CompanyState(info=_info(name)), **kwargs)
        samples.build_demo(company)
        return company

    @classmethod
    def generate(
        cls,
        customers: int = 10000,
        *,
        jobs_per: int = 0,
        inactive_share: float = 0.1,
        items: int = 100,
        vendors: int = 50,
        seed: int = 1,
        **kwargs: Any,
    ) -> FakeCompany:
        """Return a big generated company for import tests and benchmarks (same seed, same company)."""
        company = cls(CompanyState(info=_info("Generated Company")), **kwargs)
        samples.build_generated(
            company,
            customers=customers,
            jobs_per=jobs_per,
            inactive_share=inactive_share,
            items=items,
            vendors=vendors,
            seed=seed,
        )
        return company

    @classmethod
    def load(cls, path: str | Path, **kwargs: Any) -> FakeCompany:
        """Load a company saved with `save`."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(CompanyStore.state_from_json(data), **kwargs)

    # -- QuickBooks behaviour ---------------------------------------------------------------------------
    def process(self, request_xml: str) -> str:
        """Answer a qbXML message set; raise QuickBooksParseError when QuickBooks would reject it whole."""
        return processor.process(self, request_xml).response

    def process_detailed(self, request_xml: str) -> ProcessResult:
        """Answer a message set and also return how each request went (for session counters)."""
        return processor.process(self, request_xml)

    def delete(self, obj_id: str) -> str:
        """Delete a list entry (ListID) or transaction (TxnID) as a bookkeeper does in QuickBooks; return the answer.

        It goes through QuickBooks' own ListDelRq / TxnDelRq, so what QuickBooks refuses (an entry in use) is
        refused here too: RuntimeError with QuickBooks' message.
        """
        if obj_id in self.by_list_id:
            kind = self.by_list_id[obj_id][0]
            body = f"<ListDelRq><ListDelType>{kind}</ListDelType><ListID>{obj_id}</ListID></ListDelRq>"
        elif obj_id in self.by_txn_id:
            kind = self.by_txn_id[obj_id][0]
            body = f"<TxnDelRq><TxnDelType>{kind}</TxnDelType><TxnID>{obj_id}</TxnID></TxnDelRq>"
        else:
            raise KeyError(obj_id)
        result = self.process_detailed(
            '<?xml version="1.0"?><?qbxml version="13.0"?><QBXML><QBXMLMsgsRq onError="stopOnError">'
            f"{body}</QBXMLMsgsRq></QBXML>"
        )
        outcome = result.outcomes[0]
        if outcome.code != 0:
            raise RuntimeError(f"QuickBooks refused the deletion ({outcome.code}): {outcome.message}")
        return result.response

    def begin_session(self) -> int:
        """Start a new QuickBooks session: iterators from earlier sessions stop working."""
        self.state.session += 1
        self.iterators.clear()
        return self.state.session

    @property
    def file_path(self) -> str:
        """Return the company file's path as the Web Connector reports it."""
        return self.state.info.file_path

    def highest_version(self) -> tuple[int, int]:
        """Return the highest qbXML version this QuickBooks supports."""
        return self.state.info.highest_version()

    def supports_versions(self, *versions: str) -> None:
        """Make this QuickBooks accept additional qbXML versions (e.g. "16.0" for a newer release)."""
        merged = dict.fromkeys((*self.state.info.versions, *versions))
        self.state.info.versions = tuple(sorted(merged, key=lambda v: tuple(int(p) for p in v.split("."))))


def _info(name: str) -> CompanyInfo:
    """Return company file details for a company called `name`."""
    path = f"C:\\Users\\Public\\Documents\\Intuit\\QuickBooks\\Company Files\\{name}.QBW"
    return CompanyInfo(name=name, file_path=path)
