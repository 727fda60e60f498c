import sys

# An agent's hook runs this once per tool call: it skips the command line parser (see
# tgbridge.cli_agents.hook_main); `tgbridge hook -h` still gets the full help.
if sys.argv[1:2] == ["hook"] and not {"-h", "--help"} & set(sys.argv[2:]):
    from tgbridge.cli_agents import hook_main

    raise SystemExit(hook_main(sys.argv[2:]))

from tgbridge.cli import main

raise SystemExit(main())
