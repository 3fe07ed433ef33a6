"""Collectors (live platform APIs) and importers (export files) for replyscope."""
