"""The live gateway: ``spinewatch run`` and ``spinewatch demo`` (sensor → store → InfluxDB)."""
