"""What can be imported from QuickBooks, and how each kind is asked for."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qbwc_server.errors import InvalidInput
from qbwc_server.sync.builders.lists import LIST_QUERIES, TXN_QUERIES, supports_iterator


@dataclass(frozen=True)
class ImportKind:
    """One importable kind: the query that reads it and where its objects go."""

    name: str
    label: str
    order: int  # lists before the transactions that point at them; parents before what hangs below them
    is_transaction: bool = False
    include_line_items: bool = False
    # What QuickBooks calls a deleted entry of this kind (ListDelType / TxnDelType): the run's last page asks which
    # were deleted since the run's start point.
    deleted_types: tuple[str, ...] = ()

    @property
    def rq_type(self) -> str:
        """Return the qbXML query request type, e.g. "CustomerQueryRq"."""
        return LIST_QUERIES.get(self.name) or TXN_QUERIES[self.name]

    @property
    def pages(self) -> bool:
        """Tell whether the query pages through an iterator (else one answer holds the whole list)."""
        return supports_iterator(self.rq_type)

    @property
    def id_element(self) -> str:
        """Return the element that identifies an object of this kind."""
        return "TxnID" if self.is_transaction else "ListID"


KINDS: dict[str, ImportKind] = {
    kind.name: kind
    for kind in (
        ImportKind("accounts", "accounts", 10),
        ImportKind("terms", "terms", 11),
        ImportKind("classes", "classes", 12),
        ImportKind("payment_methods", "payment methods", 13),
        ImportKind("sales_tax_codes", "sales tax codes", 14),
        ImportKind("items", "items", 20, deleted_types=("ItemService", "ItemNonInventory", "ItemOtherCharge")),
        ImportKind("customers", "customers and jobs", 30, deleted_types=("Customer",)),
        ImportKind("vendors", "vendors", 31, deleted_types=("Vendor",)),
        ImportKind(
            "invoices", "invoices", 40, is_transaction=True, include_line_items=True, deleted_types=("Invoice",)
        ),
        ImportKind(
            "payments", "payments", 50, is_transaction=True, include_line_items=True, deleted_types=("ReceivePayment",)
        ),
        ImportKind("bills", "bills", 51, is_transaction=True, include_line_items=True, deleted_types=("Bill",)),
    )
}


def get(name: str) -> ImportKind:
    """Return one kind by name; raise InvalidInput listing the known kinds otherwise."""
    try:
        return KINDS[name]
    except KeyError:
        raise InvalidInput({"kind": f"unknown kind {name!r}; choose from {', '.join(KINDS)} (or all)"}) from None


def parse_kinds(names: Iterable[str]) -> list[ImportKind]:
    """Turn kind names (``all`` meaning every kind) into kinds in import order, without repeats."""
    chosen: dict[str, ImportKind] = {}
    for raw in names:
        name = raw.strip().lower().replace("-", "_")
        if name == "all":
            chosen.update(KINDS)
        elif name:
            chosen[name] = get(name)
    if not chosen:
        raise InvalidInput({"kind": f"name at least one kind to import: {', '.join(KINDS)} (or all)"})
    return sorted(chosen.values(), key=lambda kind: kind.order)
