"""One spider per source kind; the module name is the spider name."""
