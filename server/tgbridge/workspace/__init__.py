"""The workspace: watched folders (watchdog), their git state (GitPython), the registry."""
