"""Importing manifests: new items, and decisions made in another tool."""
