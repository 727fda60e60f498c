"""Language models: providers behind one interface (`providers/`), a router that falls
back in order (`router`, which loads the SDKs: slow, imported only when a model is
asked), and the context that may leave the machine (`context`). Nothing is imported here:
the settings import `config` on the sidecar's start."""
