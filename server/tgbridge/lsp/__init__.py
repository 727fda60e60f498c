"""The JSON-RPC face of the sidecar: one pygls feature per module."""
