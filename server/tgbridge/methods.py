"""Method and command names, importable without pydantic (kept off the cold-start path)."""

STATUS = "tgbridge/status"
CONNECTION_CHANGED = "tgbridge/connectionChanged"
SEND_SELECTION_COMMAND = "tgbridge.sendSelection"
