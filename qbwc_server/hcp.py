"""The first sendRequestXML's strHCPResponse: what QuickBooks says about itself and which company file is open."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from lxml import etree

from qbwc_server.models import Company, WcSession
from qbwc_server.xmlcheck import QBXML_LIMITS, XmlRefused, check_xml

log = logging.getLogger(__name__)

WRONG_FILE_PHRASE = "the company file open in QuickBooks is not the one this connection was set up for"
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
# Entity declarations are never needed in QuickBooks' answers: refuse them instead of trusting parser flags alone.
_MARKUP_DECLARATION = re.compile(r"<!(?!\[CDATA\[|--)")


def hardened_parser() -> etree.XMLParser:
    """Return an lxml parser that never loads a DTD, resolves an entity, or touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )


@dataclass
class DataExtension:
    """One DataExtRet on the CompanyRet."""

    owner_id: str
    name: str
    value: str


@dataclass
class HostInfo:
    """What the HostQuery, CompanyQuery and PreferencesQuery answers said."""

    product: str | None = None
    version: str | None = None
    country: str | None = None
    supported_versions: list[str] = field(default_factory=list)
    company_name: str | None = None
    data_extensions: list[DataExtension] = field(default_factory=list)

    def file_id_for(self, owner_id: str) -> str | None:
        """Return the FileID data extension's value stored under `owner_id`, if QuickBooks sent one."""
        for ext in self.data_extensions:
            if ext.name == "FileID" and _same_guid(ext.owner_id, owner_id):
                return ext.value
        return None

    def highest_supported(self) -> str | None:
        """Return the highest qbXML version the host listed."""
        versions = [v for v in self.supported_versions if _version_key(v) is not None]
        return max(versions, key=lambda v: _version_key(v) or ()) if versions else None


def parse(text: str) -> HostInfo | None:
    """Parse strHCPResponse; return None when it is not usable XML (QuickBooks POS sends plain text)."""
    if not text or not text.strip():
        return None
    if _MARKUP_DECLARATION.search(text):
        log.warning("strHCPResponse carried a DOCTYPE or entity declaration; ignored")
        return None
    body = _DECLARATION.sub("", text, count=1)
    try:
        check_xml(body.encode("utf-8"), QBXML_LIMITS)
        root = etree.fromstring(body, hardened_parser())
    except (etree.XMLSyntaxError, ValueError, XmlRefused):
        log.warning("strHCPResponse is not XML; QuickBooks' details were not recorded")
        return None
    info = HostInfo()
    host = root.find(".//HostRet")
    if host is not None:
        info.product = _text(host, "ProductName")
        major, minor = _text(host, "MajorVersion"), _text(host, "MinorVersion")
        if major:
            info.version = f"{major}.{minor or 0}"
        info.country = _text(host, "Country")
        info.supported_versions = [(e.text or "").strip() for e in host.findall("SupportedQBXMLVersion") if e.text]
    company = root.find(".//CompanyRet")
    if company is not None:
        info.company_name = _text(company, "CompanyName")
        for ext in company.findall("DataExtRet"):
            info.data_extensions.append(
                DataExtension(
                    owner_id=_text(ext, "OwnerID") or "",
                    name=_text(ext, "DataExtName") or "",
                    value=_text(ext, "DataExtValue") or "",
                )
            )
    return info


def record(company: Company, info: HostInfo) -> None:
    """Store what QuickBooks reported on the company, for the page and for version negotiation."""
    company.qb_product = _clip(info.product, 200)
    company.qb_version = _clip(info.version, 20)
    company.qb_supported_versions = list(info.supported_versions) or None
    company.qb_country = _clip(info.country, 10)
    company.qb_company_name = _clip(info.company_name, 200)
    company.qb_file_id_seen = _clip(info.file_id_for(company.owner_id), 100)


def wrong_file_message(company: Company, info: HostInfo) -> str | None:
    """Return why syncing must be refused when the open file carries our FileID with another value, else None."""
    seen = info.file_id_for(company.owner_id)
    if seen is None or _same_guid(seen, company.file_id):
        return None
    name = f" ({info.company_name})" if info.company_name else ""
    return (
        f"Refused to sync: {WRONG_FILE_PHRASE}{name}. Its FileID is {seen}, this connection expects "
        f"{company.file_id}. Open the right company file in QuickBooks and run the update again; nothing was sent."
    )


def first_call(
    company: Company,
    wc: WcSession,
    hcp_response: str | None,
    company_file_name: str | None,
    country: str | None,
    major: int | None,
    minor: int | None,
) -> str | None:
    """Take in what a session's first sendRequestXML reports: store what QuickBooks says about itself, and either
    return why syncing must be refused (another company file is open) or settle the session's qbXML version,
    country and file name and return None."""
    info = parse(hcp_response or "")
    if info is not None:
        record(company, info)
        refusal = wrong_file_message(company, info)
        if refusal:
            log.warning("refusing to sync %s: the open company file has another FileID", company.slug)
            company.wrong_file_message = refusal
            return refusal
        if info.file_id_for(company.owner_id) is not None:
            company.wrong_file_message = None
    wc.qbxml_version = negotiate_version(company.qbxml_version_cap, major, minor, info)
    wc.country = (country or (info.country if info else None) or "")[:10] or None
    wc.company_file = (company_file_name or wc.company_file or "")[:500]
    return None


def negotiate_version(cap: str, major: int | None, minor: int | None, info: HostInfo | None) -> str:
    """Return min(company cap, what the Web Connector reports), falling back to the host's list, then the cap."""
    reported: str | None = f"{major}.{minor or 0}" if major else None
    if reported is None and info is not None:
        reported = info.highest_supported()
    cap_key, reported_key = _version_key(cap), _version_key(reported or "")
    if reported_key is None or cap_key is None:
        return cap
    return reported if reported_key < cap_key else cap  # type: ignore[return-value]


MIN_QBXML = (13, 0)


def too_old(version: str | None) -> bool:
    """Tell whether a negotiated qbXML version is older than the requests this server writes (13.0)."""
    key = _version_key(version or "")
    return key is not None and key < MIN_QBXML


def _text(parent: etree._Element, tag: str) -> str | None:
    child = parent.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip()


def _clip(value: str | None, length: int) -> str | None:
    return value[:length] if value else value


def _same_guid(a: str, b: str) -> bool:
    return a.strip().strip("{}").lower() == b.strip().strip("{}").lower()


def _version_key(text: str) -> tuple[int, ...] | None:
    parts = text.strip().split(".")
    if not text.strip() or not all(p.isdigit() for p in parts):
        return None
    return tuple(int(p) for p in parts)
