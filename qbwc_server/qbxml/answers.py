"""The answers to one message set from QuickBooks, found by requestID.

A small response (a batch of records) is read into a tree at once. A large one (an import page) is streamed: its
headers are read as far as needed, its objects handed out one by one, and it is read into a tree only when a step
asks for its objects as a list.
"""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from qbwc_server.qbxml.parse import (
    CHECK_ON_TREE_UP_TO,
    Answer,
    RsHeader,
    RsItem,
    as_bytes,
    check_structure,
    iter_response,
    parse_response,
)

# Responses up to this size are read into a tree at once (a batch of records: 25 five-line invoices are about
# 75 KB), checked on that tree in the same pass; larger ones (import pages) are streamed, and read into a tree only
# when a step asks for its objects as a list.
STREAM_ABOVE = CHECK_ON_TREE_UP_TO


class Answers:
    """The answers to one message set, found by requestID; a large response is never read into a tree unasked.

    A large response is checked (no DTD, limits, well-formed) as a whole before any status of it is read, unless
    its reader streams its objects first: then the check is made in that same pass (an import page, read once).
    """

    def __init__(self, response: str | bytes) -> None:
        self._data = as_bytes(response)
        self._items: dict[str, RsItem] | None = None
        self._headers: dict[str, RsHeader] = {}
        self._scan: Iterator[tuple[RsHeader, etree._Element | None]] | None = None
        self._checked = False  # the whole document passed the structure check
        self._streaming = False  # a reader streams it, checking in the same pass
        if len(self._data) <= STREAM_ABOVE:
            self._read_tree()

    def get(self, request_id: str) -> Answer | None:
        """Return the answer to a request, or None when the response has none."""
        if self._items is not None:
            return self._items.get(request_id)
        header = self._find_header(request_id)
        return _Streamed(self, header) if header is not None else None

    def stream(self, request_id: str) -> Iterator[etree._Element]:
        """Return the objects answering one request, read from the response as a stream (and checked on the way).

        The response counts as streamed from this call on, before the first object is asked for: a status read
        meanwhile does not check the whole response a second time.
        """
        self._streaming = True
        return self._objects(request_id)

    def _objects(self, request_id: str) -> Iterator[etree._Element]:
        for header, ret in iter_response(self._data, checked=self._checked):
            if header.request_id == request_id and ret is not None:
                yield ret
        self._checked = True

    def listed(self, request_id: str) -> list[etree._Element]:
        """Return the objects answering one request as a list (reads the whole response into a tree)."""
        found = self._read_tree().get(request_id)
        return found.rets if found is not None else []

    def check(self) -> None:
        """Check the whole response's structure once, unless a reader streams it (and so checks it) already."""
        if not self._checked and not self._streaming:
            check_structure(self._data)
            self._checked = True

    def _read_tree(self) -> dict[str, RsItem]:
        if self._items is None:
            # A status read before made the check of the whole response already (a large batch of invoices).
            self._items = {str(rs.request_id): rs for rs in parse_response(self._data, checked=self._checked)}
            self._checked = True
        return self._items

    def _find_header(self, request_id: str) -> RsHeader | None:
        """Read the stream only as far as the request's answer (an import page's is the first and only one)."""
        if request_id in self._headers:
            return self._headers[request_id]
        if self._scan is None:
            # What this reads it checks as it goes; the rest is checked when a status is read (`check`) or streamed.
            self._scan = iter_response(self._data)
        # Go on from where the last search stopped: the whole response is read at most once.
        for header, _ in self._scan:
            self._headers.setdefault(str(header.request_id), header)
            if header.request_id == request_id:
                return header
        return None


class _Streamed:
    """The answer to one request of a large response: its status and objects when asked for.

    Its status is read only after the whole response passed the structure check, as if it had been read at once,
    unless its objects are streamed first (`stream`), which checks the response in the same pass.
    """

    def __init__(self, answers: Answers, header: RsHeader) -> None:
        self._answers = answers
        self._header = header
        self.request_id = header.request_id
        self.rs_type = header.rs_type

    @property
    def status_code(self) -> int:
        self._answers.check()
        return self._header.status_code

    @property
    def severity(self) -> str:
        self._answers.check()
        return self._header.severity

    @property
    def message(self) -> str:
        self._answers.check()
        return self._header.message

    @property
    def iterator_id(self) -> str | None:
        self._answers.check()
        return self._header.iterator_id

    @property
    def iterator_remaining(self) -> int | None:
        self._answers.check()
        return self._header.iterator_remaining

    @property
    def rets(self) -> list[etree._Element]:
        return self._answers.listed(str(self.request_id))

    def stream(self) -> Iterator[etree._Element]:
        """Return the objects as a stream; the response's structure is checked in the same pass."""
        return self._answers.stream(str(self.request_id))
