"""Item pipelines, one job per module, in the order crawler/settings.py ITEM_PIPELINES gives."""
