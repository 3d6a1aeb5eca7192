"""The demo: `python -m demo` tells Lifeboat's story in scenes, through the real entry points."""
