"""Real-time alerts: the async shell around :mod:`processing.alert_policy`.

The policy (pure) decides; this package delivers: channels (terminal, haptic,
webhook), a dispatcher that fans each alert out without blocking processing,
and the alert log that records every alert whatever the channels do.
"""

from spinewatch.alerts.channels import (
    HAPTIC_PATTERNS_MS,
    AlertChannel,
    AlertDeliveryError,
    Buzz,
    HapticChannel,
    TerminalChannel,
    terminal_line,
)
from spinewatch.alerts.dispatcher import AlertLog, Dispatcher, build_dispatcher
from spinewatch.alerts.records import SCHEMA, alert_document
from spinewatch.alerts.webhook import WebhookChannel, check_webhook_url, retry_delay_s

__all__ = [
    "HAPTIC_PATTERNS_MS",
    "SCHEMA",
    "AlertChannel",
    "AlertDeliveryError",
    "AlertLog",
    "Buzz",
    "Dispatcher",
    "HapticChannel",
    "TerminalChannel",
    "WebhookChannel",
    "alert_document",
    "build_dispatcher",
    "check_webhook_url",
    "retry_delay_s",
    "terminal_line",
]
