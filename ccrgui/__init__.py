"""ccrgui: a console for failover clusters running an Exchange 2007 CCR clustered mailbox server."""

__version__ = "0.1.0"
