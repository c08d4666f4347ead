import TesseraCLI

// The whole command lives in TesseraCLI, so that a program of one's own (with its own
// strategies registered: examples/custom-strategy) can be the same command.
await Tessera.runAsMain()
