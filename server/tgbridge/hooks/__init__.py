"""The agents' hook commands (`tgbridge hook <agent> <event>`): one module per agent's
documented format, a small synchronous hub client, and what they share."""
