"""Transition shim: the session API moved to `ccrgui.domain.session_api` (Qt- and WinRM-free).

Only `ConnectionError_` (settings the transport refuses) belongs to the backend.
"""

from __future__ import annotations

from ccrgui.domain.session_api import (
    AuthMethod,
    ClusterSession,
    ConnectionSettings,
    EventBatch,
    LogonAvailability,
    LogQuery,
)


def current_user_logon() -> LogonAvailability:
    """Can "the current user" log on here: Windows' SSPI, or elsewhere Kerberos with a ticket (kinit)?"""
    from ccrgui.remote.negotiate import current_user_availability

    return current_user_availability()


class ConnectionError_(Exception):
    """The settings are unusable (e.g. a password over plain HTTP); raised before anything is sent."""


__all__ = [
    "AuthMethod",
    "ClusterSession",
    "ConnectionError_",
    "ConnectionSettings",
    "EventBatch",
    "LogQuery",
    "LogonAvailability",
    "current_user_logon",
]
