"""The simulated Exchange 2007 CCR cluster behind a real WS-Management endpoint (see lab.py)."""
