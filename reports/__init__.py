"""Report rendering and exports (read-only over the store)."""
