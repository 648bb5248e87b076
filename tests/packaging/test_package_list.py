"""setup.cfg lists the packages by hand (to map the template folders in): the list must name every package."""

from __future__ import annotations

import configparser

from setuptools import find_namespace_packages

from tests.processes import REPO


def test_setup_cfg_lists_every_package_under_qbwc_server_and_the_two_template_folders():
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    listed = set(config["options"]["packages"].split())
    on_disk = {
        name
        for name in find_namespace_packages(where=str(REPO), include=["qbwc_server", "qbwc_server.*"])
        if any((REPO / name.replace(".", "/")).glob("*.py"))
    }
    assert listed - on_disk == {"qbwc_server.qbxml_templates", "qbwc_server.qwc_templates"}
    assert on_disk - listed == set(), "add these packages to setup.cfg's [options] packages"
