"""Grafana dashboards and alert rules for therapists, as code (InfluxQL on the storage schema).

:func:`dashboards.build.all_dashboards` assembles every dashboard,
:mod:`dashboards.alerts` the alert rules, :mod:`dashboards.provisioning` the
provisioning files; ``spinewatch dashboards export DIR`` writes them all.
"""
