"""Pure computation on numpy arrays: orientation, trunk angles, posture, steps.

No I/O, no asyncio, no bleak or InfluxDB here. Every stage has settings (a
frozen dataclass), a state it carries between chunks, and results; its
streaming ``update(chunk)`` gives the same output as the offline function on
the same data.
"""
