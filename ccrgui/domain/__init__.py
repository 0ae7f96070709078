"""Domain model: plain typed data, no Qt, no WinRM."""

from ccrgui.domain.model import *  # noqa: F403
