"""Backend integration tests run against the lab over real WinRM."""
