"""Infrastructure tests: the Bicep in infra/ parsed, scanned, and held against the code."""
