"""Transition shim: the session API moved to `ccrgui.domain.session_api` (Qt- and WinRM-free).

Only `ConnectionError_` (settings the transport refuses) belongs to the backend.
"""

from __future__ import annotations

from ccrgui.domain.session_api import AuthMethod, ClusterSession, ConnectionSettings, EventBatch, LogQuery


class ConnectionError_(Exception):
    """The settings are unusable (e.g. a password over plain HTTP); raised before anything is sent."""


__all__ = ["AuthMethod", "ClusterSession", "ConnectionError_", "ConnectionSettings", "EventBatch", "LogQuery"]
