"""Image DR: every completed Image Builder build replicated to the DR region, and proven."""
