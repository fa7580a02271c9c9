#!/bin/sh
# Runs once inside the influxdb:2 container after its initial setup (CLI already configured).
# InfluxQL reads buckets through database/retention-policy (DBRP) mappings:
#   spinewatch/long (default) -> bucket spinewatch      (long-kept results)
#   spinewatch/raw            -> bucket spinewatch_raw  (trunk_angles, device_status; 30 days)
set -eu
org="${DOCKER_INFLUXDB_INIT_ORG}"
influx bucket create --org "$org" --name spinewatch_raw --retention 720h
long_id=$(influx bucket list --org "$org" --name spinewatch --hide-headers | cut -f1)
raw_id=$(influx bucket list --org "$org" --name spinewatch_raw --hide-headers | cut -f1)
influx v1 dbrp create --org "$org" --db spinewatch --rp long --bucket-id "$long_id" --default
influx v1 dbrp create --org "$org" --db spinewatch --rp raw --bucket-id "$raw_id"
