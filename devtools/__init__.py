"""Developer-only tools beside demo/ and bench/ (never deployed): the local queue driver."""
