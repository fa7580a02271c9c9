"""Grafana provisioning files: data sources, the dashboards provider, alerting; and their schema.

Grafana reads these from its provisioning folder at start-up
(``provisioning/datasources``, ``provisioning/dashboards``,
``provisioning/alerting``). Secrets are never written: the files refer to
environment variables (``$SPINEWATCH_INFLUX_URL``, ``$SPINEWATCH_INFLUX_TOKEN``,
…) that Grafana expands when it reads them.

The alerting files have no official schema, so :data:`SCHEMAS` holds this
project's own (JSON Schema, draft 7), which the tests check every file against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from dashboards.alerts import FOLDER_TITLE, FOLDER_UID, NIGHT, ORG_ID, RuleSpec, file_rule_groups
from dashboards.common import DATASOURCE_UID, JSON

DATASOURCE_NAME: Final = "spinewatch InfluxDB"
DASHBOARDS_PATH: Final = "/var/lib/grafana/dashboards/spinewatch"
EMAIL_RECEIVER: Final = "spinewatch-clinic-email"
WEBHOOK_RECEIVER: Final = "spinewatch-webhook"
QUIET_KINDS: Final = ("not_worn", "inactivity")
"""Alert kinds muted at night (the sensor is taken off, the patient sleeps)."""
EXAMPLE_EMAIL: Final = "therapists@clinic.example"
EXAMPLE_WEBHOOK: Final = "https://clinic.example/spinewatch/alerts"


@dataclass(frozen=True, slots=True)
class ContactOptions:
    """Example contact points and the night mute timing's zone and hours (HH:MM, local)."""

    email: str = EXAMPLE_EMAIL
    webhook_url: str = EXAMPLE_WEBHOOK
    timezone: str = "UTC"
    night_from: str = "22:00"
    night_to: str = "07:00"


def _influx_datasource(database: str, **auth: Any) -> JSON:
    """The InfluxQL data source both InfluxDB versions share, with ``auth``'s keys added
    (``jsonData`` entries merged)."""
    json_data = {"dbName": database, "httpMode": "POST", "version": "InfluxQL"}
    json_data.update(auth.pop("jsonData", {}))
    return {
        "apiVersion": 1,
        "datasources": [
            {
                "name": DATASOURCE_NAME,
                "uid": DATASOURCE_UID,
                "type": "influxdb",
                "access": "proxy",
                "orgId": ORG_ID,
                "url": "$SPINEWATCH_INFLUX_URL",
                "isDefault": True,
                "editable": False,
                "jsonData": json_data,
                **auth,
            }
        ],
    }


def influx1_datasource(database: str) -> JSON:
    """InfluxDB 1.x, InfluxQL; user and password from the environment."""
    return _influx_datasource(
        database,
        user="$SPINEWATCH_INFLUX_USER",
        secureJsonData={"password": "$SPINEWATCH_INFLUX_PASSWORD"},
    )


def influx2_datasource(database: str) -> JSON:
    """InfluxDB 2.x (or 3.x) through InfluxQL and a DBRP mapping; token from the environment.

    InfluxQL on 2.x needs the database/retention-policy names mapped to buckets
    (``influx v1 dbrp create``; see ``dashboards/compose``); Grafana then sends
    the token as ``Authorization: Token …``.
    """
    return _influx_datasource(
        database,
        jsonData={"httpHeaderName1": "Authorization"},
        secureJsonData={"httpHeaderValue1": "Token $SPINEWATCH_INFLUX_TOKEN"},
    )


def dashboards_provider() -> JSON:
    """A file provider for the exported dashboards, read-only in the UI."""
    return {
        "apiVersion": 1,
        "providers": [
            {
                "name": "spinewatch",
                "orgId": ORG_ID,
                "folder": FOLDER_TITLE,
                "folderUid": FOLDER_UID,
                "type": "file",
                "disableDeletion": True,
                "allowUiUpdates": False,
                "updateIntervalSeconds": 60,
                "options": {"path": DASHBOARDS_PATH, "foldersFromFilesStructure": False},
            }
        ],
    }


def contact_points(c: ContactOptions) -> list[JSON]:
    """Example contact points in the file shape: e-mail to the therapists, a webhook."""
    return [
        {
            "orgId": ORG_ID,
            "name": EMAIL_RECEIVER,
            "receivers": [{"uid": EMAIL_RECEIVER, "type": "email", "disableResolveMessage": False,
                           "settings": {"addresses": c.email, "singleEmail": True}}],
        },
        {
            "orgId": ORG_ID,
            "name": WEBHOOK_RECEIVER,
            "receivers": [{"uid": WEBHOOK_RECEIVER, "type": "webhook",
                           "disableResolveMessage": False,
                           "settings": {"url": c.webhook_url, "httpMethod": "POST"}}],
        },
    ]


def notification_policy() -> JSON:
    """Everything by e-mail, grouped per patient; critical also to the webhook; quiet at night."""
    return {
        "receiver": EMAIL_RECEIVER,
        "group_by": ["grafana_folder", "alertname", "patient"],
        "group_wait": "30s",
        "group_interval": "5m",
        "repeat_interval": "4h",
        "routes": [
            {
                "receiver": WEBHOOK_RECEIVER,
                "object_matchers": [["severity", "=", "critical"]],
                "continue": True,
                "group_wait": "0s",
                "repeat_interval": "15m",
            },
            {
                "receiver": EMAIL_RECEIVER,
                "object_matchers": [["spinewatch_kind", "=~", "|".join(QUIET_KINDS)]],
                "mute_time_intervals": [NIGHT],
            },
        ],
    }


def night(c: ContactOptions) -> JSON:
    """The night mute timing (Grafana's own shape: ``start_time``/``end_time``)."""
    return {
        "name": NIGHT,
        "time_intervals": [
            {"times": [{"start_time": c.night_from, "end_time": "24:00"},
                       {"start_time": "00:00", "end_time": c.night_to}],
             "location": c.timezone},
        ],
    }


def alerting(rules: Sequence[RuleSpec], c: ContactOptions) -> JSON:
    """The alerting provisioning file: rule groups, contact points, policy, mute timing."""
    return {
        "apiVersion": 1,
        "groups": file_rule_groups(rules),
        "contactPoints": contact_points(c),
        "policies": [{"orgId": ORG_ID, **notification_policy()}],
        "muteTimes": [{"orgId": ORG_ID, **night(c)}],
    }


# ---------------------------------------------------------------- the project's own schemas

_STR: Final = {"type": "string", "minLength": 1}
_DURATION: Final = {"type": "string", "pattern": r"^[0-9]+(ms|s|m|h|d|w)$"}


def _obj(required: Sequence[str], props: dict[str, Any], closed: bool = True) -> JSON:
    return {
        "type": "object",
        "required": list(required),
        "properties": props,
        "additionalProperties": not closed,
    }


_QUERY: Final = _obj(
    ["refId", "datasourceUid", "model"],
    {
        "refId": _STR,
        "datasourceUid": _STR,
        "queryType": {"type": "string"},
        "relativeTimeRange": _obj(["from", "to"], {"from": {"type": "integer", "minimum": 0},
                                                   "to": {"type": "integer", "minimum": 0}}),
        "model": _obj(["refId"], {"refId": _STR}, closed=False),
    },
)
_RULE: Final = _obj(
    ["uid", "title", "condition", "data", "noDataState", "execErrState", "for"],
    {
        "uid": {"type": "string", "minLength": 1, "maxLength": 40},
        "title": _STR,
        "condition": _STR,
        "data": {"type": "array", "minItems": 1, "items": _QUERY},
        "noDataState": {"enum": ["OK", "Alerting", "NoData", "KeepLast"]},
        "execErrState": {"enum": ["OK", "Alerting", "Error", "KeepLast"]},
        "for": _DURATION,
        "isPaused": {"type": "boolean"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
    },
)
_ORG: Final = {"type": "integer", "minimum": 1}
SCHEMAS: Final[dict[str, JSON]] = {
    "alerting": _obj(
        ["apiVersion"],
        {
            "apiVersion": {"const": 1},
            "groups": {"type": "array", "items": _obj(
                ["orgId", "name", "folder", "interval", "rules"],
                {"orgId": _ORG, "name": _STR, "folder": _STR, "interval": _DURATION,
                 "rules": {"type": "array", "items": _RULE}})},
            "contactPoints": {"type": "array", "items": _obj(
                ["orgId", "name", "receivers"],
                {"orgId": _ORG, "name": _STR, "receivers": {"type": "array", "minItems": 1,
                 "items": _obj(["uid", "type", "settings"], {
                     "uid": _STR, "type": {"enum": ["email", "webhook"]},
                     "settings": {"type": "object"},
                     "disableResolveMessage": {"type": "boolean"}})}})},
            "policies": {"type": "array", "items": _obj(["orgId", "receiver"], {
                "orgId": _ORG, "receiver": _STR}, closed=False)},
            "muteTimes": {"type": "array", "items": _obj(["orgId", "name", "time_intervals"], {
                "orgId": _ORG, "name": _STR, "time_intervals": {"type": "array"}})},
        },
    ),
    "datasources": _obj(
        ["apiVersion", "datasources"],
        {
            "apiVersion": {"const": 1},
            "datasources": {"type": "array", "minItems": 1, "items": _obj(
                ["name", "uid", "type", "access", "url", "jsonData"],
                {"name": _STR, "uid": {"const": DATASOURCE_UID}, "type": {"const": "influxdb"},
                 "access": {"const": "proxy"}, "orgId": _ORG, "url": _STR, "user": _STR,
                 "isDefault": {"type": "boolean"}, "editable": {"type": "boolean"},
                 "jsonData": _obj(["dbName", "version", "httpMode"], {
                     "dbName": _STR, "version": {"const": "InfluxQL"},
                     "httpMode": {"enum": ["GET", "POST"]},
                     "httpHeaderName1": _STR}),
                 "secureJsonData": {"type": "object",
                                    "additionalProperties": {"type": "string",
                                                             "pattern": r"\$SPINEWATCH_"}}})},
        },
    ),
    "dashboards": _obj(
        ["apiVersion", "providers"],
        {
            "apiVersion": {"const": 1},
            "providers": {"type": "array", "minItems": 1, "items": _obj(
                ["name", "type", "options"],
                {"name": _STR, "orgId": _ORG, "folder": _STR, "folderUid": _STR,
                 "type": {"const": "file"}, "disableDeletion": {"type": "boolean"},
                 "allowUiUpdates": {"type": "boolean"},
                 "updateIntervalSeconds": {"type": "integer", "minimum": 1},
                 "options": _obj(["path"], {"path": _STR,
                                            "foldersFromFilesStructure": {"type": "boolean"}})})},
        },
    ),
}
"""This project's schemas of its provisioning files, by kind (the folder they go in)."""
