"""Results storage: the local store, line protocol and upload to InfluxDB."""
