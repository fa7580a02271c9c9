"""Device profiles of the supported sensors, one TOML file each (data, no code).

Shipped as package data so that :mod:`collector.profiles` finds them both in
a source checkout (``pip install -e .``) and in an installed wheel.
"""
