"""`lifeboat`: the operator CLI against the deployed app (LIFEBOAT_URL, LIFEBOAT_FUNCTION_KEY),
or `--direct` against DR-region storage with the operator's own Azure credential."""
