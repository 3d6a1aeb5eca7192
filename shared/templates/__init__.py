"""Template DR: Image Builder templates backed up to the DR region and recreated there on demand."""
