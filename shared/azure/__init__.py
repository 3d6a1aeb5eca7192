"""The only modules that import azure.mgmt / azure.storage: narrow, SDK-verb named access."""
