"""`tgbridge mcp`: an MCP server over stdio (the official `mcp` SDK) through which a coding
agent reaches the owner's phone: notify, ask, request_approval, send_file and
wait_for_answer. It talks to the hub as a command-line client (`hub_client.py`); files
pass the path guard first (`files.py`); the tools and the long-wait rules are in
`server.py`.

Named `agent_mcp`, not `mcp`, so that `import mcp` always finds the SDK.
"""
