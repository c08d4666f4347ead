import FedNova
import TesseraCLI
import TesseraScheduler

// The whole `tessera` command (launch, scheduler, worker, check, ...) with a strategy, a sampler
// and an evaluation hook more: `--strategy fednova`, `--sampler largest`, `--evaluation-hook
// weight-norm` (or `training.strategy`, `training.sampler`, `training.evaluation_hook` in a
// topology). Its local workers are this program too.
try StrategyRegistry.register("fednova") { settings in
    FedNova(localEpochs: settings.localEpochs, batchSize: settings.batchSize,
            learningRate: Float(settings.serverLearningRate ?? 1), momentum: Float(settings.serverMomentum))
}
try SamplerRegistry.register("largest") { _ in LargestClients() }
try EvaluationHookRegistry.register("weight-norm") { _ in
    { model, _ in ["weightNorm": model.l2Norm()] }
}
await Tessera.runAsMain()
