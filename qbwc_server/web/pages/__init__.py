"""The bookkeeper's page: one blueprint per screen, all behind a login."""

from __future__ import annotations

from qbwc_server.web.pages.actions import bp as actions_bp
from qbwc_server.web.pages.admin import bp as admin_bp
from qbwc_server.web.pages.common import bp as common_bp
from qbwc_server.web.pages.connect import bp as connect_bp
from qbwc_server.web.pages.dashboard import bp as dashboard_bp
from qbwc_server.web.pages.errors import bp as errors_bp
from qbwc_server.web.pages.reconciliation import bp as reconciliation_bp
from qbwc_server.web.pages.records import bp as records_bp
from qbwc_server.web.pages.settings import bp as settings_bp
from qbwc_server.web.pages.tokens import bp as tokens_bp
from qbwc_server.web.pages.webhooks import bp as webhooks_bp

BLUEPRINTS = [
    common_bp,
    dashboard_bp,
    records_bp,
    errors_bp,
    actions_bp,
    settings_bp,
    admin_bp,
    tokens_bp,
    webhooks_bp,
    connect_bp,
    reconciliation_bp,
]
