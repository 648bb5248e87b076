"""Map the repository's top-level template folders into the package; everything else is in setup.cfg."""

from setuptools import find_namespace_packages, setup

# The templates stay at the repository's top level, where template authors look for them; the wheel carries them
# as data packages inside qbwc_server, where importlib.resources finds them (see qbwc_server/resources.py).
DATA_PACKAGES = {
    "qbwc_server.qbxml_templates": "qbxml_templates",
    "qbwc_server.qwc_templates": "qwc",
}

setup(
    packages=[*find_namespace_packages(include=["qbwc_server", "qbwc_server.*"]), *DATA_PACKAGES],
    package_dir=DATA_PACKAGES,
    package_data={name: ["*.j2"] for name in DATA_PACKAGES},
)
