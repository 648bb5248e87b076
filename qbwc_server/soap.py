"""The SOAP binding (spyne): Intuit's method and element names, each method a thin call into protocol.Conversation.

This is the only module that imports spyne. Method parameters keep Intuit's wire names (strUserName, …), which is
why they are not snake_case.
"""

from __future__ import annotations

import codecs
import importlib.util
import logging
import sys
import warnings
from typing import Any

with warnings.catch_warnings():
    # spyne bundles an old `six` whose import hook Python 3.11 warns about; the warning says nothing about us.
    warnings.simplefilter("ignore", ImportWarning)
    warnings.simplefilter("ignore", DeprecationWarning)
    import spyne.const
    from spyne import Application, Array, Integer32, ServiceBase, Unicode, rpc
    from spyne.protocol.soap import Soap11
    from spyne.server.http import HttpTransportContext
    from spyne.server.wsgi import WsgiApplication

from lxml import etree

from qbwc_server.logging_setup import silence_body_loggers
from qbwc_server.protocol import BUSY, DONE, INTERNAL_ERROR, Conversation
from qbwc_server.soap_guard import CHECKED_ENVELOPE


def _modernise_six_importer() -> None:
    # spyne's bundled `six` puts an import hook on sys.meta_path that only has the old find_module API, so
    # Python 3.11 warns on every import made after spyne loads (anywhere in the process). Give it the
    # find_spec API that newer `six` releases have.
    for finder in sys.meta_path:
        cls = type(finder)
        if cls.__name__ != "_SixMetaPathImporter" or hasattr(cls, "find_spec"):
            continue

        def find_spec(self: Any, fullname: str, path: Any = None, target: Any = None) -> Any:
            if fullname in self.known_modules:
                return importlib.util.spec_from_loader(fullname, self)
            return None

        def create_module(self: Any, spec: Any) -> Any:
            return self.load_module(spec.name)

        def exec_module(self: Any, module: Any) -> None:
            return None

        cls.find_spec = find_spec  # type: ignore[method-assign]
        cls.create_module = create_module  # type: ignore[attr-defined]
        cls.exec_module = exec_module  # type: ignore[attr-defined]


_modernise_six_importer()
# spyne runs a full gc.collect() after a call at most once a second, so uploaded files close promptly. This service
# takes no uploads, and a full collection of a server's heap costs tens of milliseconds in the call it lands on.
spyne.const.MIN_GC_INTERVAL = float("inf")

log = logging.getLogger(__name__)

NAMESPACE = "http://developer.intuit.com/"
ArrayOfString = Array(Unicode, type_name="ArrayOfString")


def _conversation(ctx: Any) -> Conversation:
    return ctx.app.conversation


def _safely(fallback: Any, call: Any) -> Any:
    # The conversation already answers every failure; this guards against a bug in it ever becoming a stack trace.
    try:
        return call()
    except Exception:
        log.exception("a Web Connector call failed unexpectedly")
        return fallback


class QBWebConnectorSvc(ServiceBase):
    """The eight Web Connector methods plus the three interactive-mode ones."""

    @rpc(_returns=Unicode)
    def serverVersion(ctx):
        return _safely("qbwc-server", lambda: _conversation(ctx).server_version())

    @rpc(Unicode, _returns=Unicode)
    def clientVersion(ctx, strVersion):
        return _safely("", lambda: _conversation(ctx).client_version(strVersion))

    @rpc(Unicode, Unicode, _returns=ArrayOfString)
    def authenticate(ctx, strUserName, strPassword):
        address = ctx.transport.req_env.get("REMOTE_ADDR", "")
        return _safely(["", BUSY], lambda: _conversation(ctx).authenticate(strUserName, strPassword, address))

    @rpc(Unicode, Unicode, Unicode, Unicode, Integer32, Integer32, _returns=Unicode)
    def sendRequestXML(
        ctx,
        ticket,
        strHCPResponse,
        strCompanyFileName,
        qbXMLCountry,
        qbXMLMajorVers,
        qbXMLMinorVers,
    ):
        return _safely(
            "",
            lambda: _conversation(ctx).send_request_xml(
                ticket, strHCPResponse, strCompanyFileName, qbXMLCountry, qbXMLMajorVers, qbXMLMinorVers
            ),
        )

    @rpc(Unicode, Unicode, Unicode, Unicode, _returns=Integer32)
    def receiveResponseXML(ctx, ticket, response, hresult, message):
        return _safely(-1, lambda: _conversation(ctx).receive_response_xml(ticket, response, hresult, message))

    @rpc(Unicode, Unicode, Unicode, _returns=Unicode)
    def connectionError(ctx, ticket, hresult, message):
        return _safely(DONE, lambda: _conversation(ctx).connection_error(ticket, hresult, message))

    @rpc(Unicode, _returns=Unicode)
    def getLastError(ctx, ticket):
        return _safely(INTERNAL_ERROR, lambda: _conversation(ctx).get_last_error(ticket))

    @rpc(Unicode, _returns=Unicode)
    def closeConnection(ctx, ticket):
        return _safely("Closed", lambda: _conversation(ctx).close_connection(ticket))

    @rpc(Unicode, Unicode, _returns=Unicode)
    def getInteractiveURL(ctx, wcTicket, sessionID):
        return _safely("", lambda: _conversation(ctx).get_interactive_url(wcTicket, sessionID))

    @rpc(Unicode, _returns=Unicode)
    def interactiveDone(ctx, wcTicket):
        return _safely("Done", lambda: _conversation(ctx).interactive_done(wcTicket))

    @rpc(Unicode, Unicode, _returns=Unicode)
    def interactiveRejected(ctx, wcTicket, reason):
        return _safely("", lambda: _conversation(ctx).interactive_rejected(wcTicket, reason))


# The elements spyne indexes by their id attribute when it parses an envelope (`etree.XMLID`'s own query).
_WITH_ID = etree.XPath("//*[string(@id)]")


class CheckedSoap11(Soap11):
    """SOAP 1.1 that takes the envelope tree the guard built while checking the body, instead of parsing it again.

    Only when spyne would read the bytes the same way: a POST whose body is UTF-8 (the Web Connector's), read by
    its XML declaration or as UTF-8. Anything else (another charset in Content-Type, a body that is not valid
    UTF-8, no guard in front) is parsed by spyne as before.
    """

    def create_in_document(self, ctx: Any, charset: str | None = None) -> None:
        checked = getattr(ctx.transport, "req_env", {}).pop(CHECKED_ENVELOPE, None)
        if checked is None or not _read_alike(ctx, charset, checked[0]):
            super().create_in_document(ctx, charset)
            return
        root = checked[1]
        ctx.in_document = (root, {element.get("id"): element for element in _WITH_ID(root)})


def _read_alike(ctx: Any, charset: str | None, body: bytes) -> bool:
    transport = ctx.transport
    if not isinstance(transport, HttpTransportContext) or transport.get_request_method() != "POST":
        return False
    content_type = transport.get_request_content_type()
    if content_type is None or "multipart/related" in content_type or body.startswith(codecs.BOM_UTF8):
        return False
    if charset is None:
        return True
    try:
        if codecs.lookup(charset).name != "utf-8":
            return False
        body.decode("utf-8")
    except (LookupError, UnicodeDecodeError):
        return False
    return True


def make_soap_app(conversation: Conversation) -> WsgiApplication:
    """Build the spyne WSGI application answering for `conversation` (document/literal SOAP 1.1)."""
    silence_body_loggers()
    # Entities stay unresolved and no DTD is loaded even if the guard in front were bypassed; huge_tree lets
    # QuickBooks' tens-of-megabytes answers (one escaped text node) through.
    in_protocol = CheckedSoap11(
        validator="soft",
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        dtd_validation=False,
        huge_tree=True,
    )
    application = Application(
        [QBWebConnectorSvc],
        tns=NAMESPACE,
        name="QBWebConnectorSvc",
        in_protocol=in_protocol,
        out_protocol=Soap11(),
    )
    application.conversation = conversation
    # spyne's own 2 MiB default would refuse QuickBooks' large answers below the limit the server documents.
    return WsgiApplication(application, max_content_length=conversation.runtime.settings.max_body_bytes)
