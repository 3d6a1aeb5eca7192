"""Services: plan, then act through the narrow Azure modules; one per trigger family."""
