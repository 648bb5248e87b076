"""The .qwc file template, shipped in the package as qbwc_server.qwc_templates."""
