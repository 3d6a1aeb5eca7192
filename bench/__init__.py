"""`python -m bench`: cold start and image DR throughput on the local emulator (not a test)."""
