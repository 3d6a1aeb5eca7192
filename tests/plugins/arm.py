"""ARM emulator fixtures (filled by the emulator work)."""
