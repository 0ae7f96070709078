"""The Qt console: model/view over the backend's snapshots; knows nothing of WinRM."""
