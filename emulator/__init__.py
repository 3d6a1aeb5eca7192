"""Local stand-ins for Azure used by tests, the demo and benchmarks. Never deployed."""
