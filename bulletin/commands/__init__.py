"""Click commands, one module per command group; ``bulletin.cli`` registers them."""
