"""The qbXML request templates, shipped in the package as qbwc_server.qbxml_templates."""
