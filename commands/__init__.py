"""The replyscope commands, grouped by what they work on (see cli.py)."""
