"""Click command groups, one module per group, registered in bulletin/cli.py."""
