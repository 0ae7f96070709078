"""Small self-painted widgets."""
