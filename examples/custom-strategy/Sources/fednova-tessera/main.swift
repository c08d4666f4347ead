import FedNova
import TesseraCLI
import TesseraScheduler

// The whole `tessera` command (launch, scheduler, worker, check, ...) with one strategy more:
// `--strategy fednova` or `training.strategy: fednova`. Its local workers are this program too.
try StrategyRegistry.register("fednova") { settings in
    FedNova(localEpochs: settings.localEpochs, batchSize: settings.batchSize,
            learningRate: Float(settings.serverLearningRate ?? 1), momentum: Float(settings.serverMomentum))
}
await Tessera.runAsMain()
