"""The audit domain's tables and their SQL."""
