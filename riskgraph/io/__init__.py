"""Input and output: the table schema, reading and validating a package, exports.

``schema`` (the tables as data) -> ``validation`` (read + check, one report of every
problem) -> ``package`` (the validated tables); ``export`` writes CSV exports atomically
with a manifest; ``summary`` prints the text summary; ``synthetic`` generates packages.
"""
