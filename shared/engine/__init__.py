"""The feature-neutral DR engine: typed write actions, their executor, the protect loop, copies."""
