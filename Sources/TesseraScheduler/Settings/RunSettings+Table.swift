import TesseraNN
import TesseraTransport

extension RunSettings {
    /// Every run setting: key, flag, what it accepts and means, its check. `docs/TOPOLOGY.md`
    /// documents each (a test checks), `tessera scheduler --help` lists them.
    public static var table: SettingTable<RunSettings> {
        // In documentation order, grouped by what they configure.
        SettingTable(federation + training + asynchronous + privacy + rest + security)
    }

    private static var federation: [Setting<RunSettings>] {
        [
            .text("scheduler.bind", flag: "bind", \.bind, accepts: Endpoint.form,
                  summary: "where the scheduler listens; port 0 picks a free one", isValid: Endpoint.isValid),
            .integer("workers.count", flag: "workers", \.workers, minimum: 1, summary: "workers (clients) expected before round 1"),
            .text("data.source", flag: "data", \.data, accepts: "a file | a directory | synthetic | synthetic-images | synthetic-text | auto",
                  summary: "a .npz, .safetensors or .csv file (docs/DATA.md) or an MNIST directory, as the workers see it; synthetic digits, synthetic 3×32×32 colour images, synthetic text (80-character sequences, the next character to predict); or auto: TESSERA_DATA, ../shared/data/mnist, ~/.cache/tessera/mnist, else synthetic",
                  isValid: { !$0.isEmpty }),
            .choice("data.partition", \.partition,
                    summary: "how the training set is split among the workers; natural: by the data's own client column, those with fewer than min_client_samples dropped, the rest dealt to the workers in turn; power-law: shares of power-law sizes (at least min_client_samples, exponent size_exponent) drawn from the data, which may overlap, so there may be more workers than samples"),
            .integer("data.min_client_samples", \.dataOptions.minimumClientSamples, minimum: 1,
                     summary: "natural partition: clients of the data with fewer samples are dropped (the run's output says how many); power-law: the smallest share"),
            .number("data.size_exponent", \.dataOptions.sizeExponent, accepts: "a number > 0",
                    summary: "power-law partition: the Pareto exponent of share sizes (smaller: a heavier tail; 1.5: mean 3 × min_client_samples)") { $0 > 0 && $0.isFinite },
            .number("data.test_fraction", \.dataOptions.testFraction, accepts: "a number in (0, 1)",
                    summary: "a file without x_test and y_test: the seeded share of its samples that becomes the scheduler's test set") {
                $0 > 0 && $0 < 1
            },
            .parsed("data.normalize.scale", flag: "normalize-scale", \.dataOptions.normalizeScale, accepts: "a number > 0",
                    summary: "stored values are divided by it first (default: 255 for uint8 samples and MNIST, else 1)",
                    show: { $0.map { String($0) } ?? "the data's" }) { text in
                Double(text).flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
            },
            numbers("data.normalize.mean", flag: "normalize-mean", \.dataOptions.normalizeMean, positive: false,
                    summary: "subtracted after scaling: one value, or one per channel (the first axis of a sample; a table's features); default 0 once anything is declared, else MNIST's own statistics"),
            numbers("data.normalize.std", flag: "normalize-std", \.dataOptions.normalizeStd, positive: true,
                    summary: "divided by last: one value, or one per channel; default 1 once anything is declared"),
            .text("data.label_column", \.dataOptions.labelColumn, summary: "a CSV's label column", isValid: { !$0.isEmpty }),
            .parsed("data.client_column", \.dataOptions.clientColumn, accepts: "a column name",
                    summary: "a CSV's client column (natural partition); default: client, when there is one",
                    show: { $0 ?? "client, when there is one" }) { $0.isEmpty ? nil : $0 },
            .number("data.alpha", \.alpha, accepts: "a number > 0", summary: "Dirichlet concentration (smaller: more label skew)") { $0 > 0 },
            .integer("data.shards_per_client", \.shardsPerClient, minimum: 1, summary: "label shards per client (shards)"),
            .number("data.held_out", \.heldOut, accepts: "a number in [0, 1)",
                    summary: "fraction of each worker's data held out; when positive, the workers also evaluate every round's model on it") {
                $0 >= 0 && $0 < 1
            },
            Setting(key: "model", flag: "model", accepts: ModelSpec.builtIn.keys.sorted().joined(separator: " | ") + " | a declaration",
                    summary: "the model to train: a built-in one by name, or your own declared as input and layers (in a topology, a mapping or a YAML/JSON file; on the command line, JSON or a .json file)",
                    isSwitch: false, assign: { settings, input in
                        guard case let .text(text) = input else { throw SettingError(key: "model", message: "must be a name or a declaration, not a list") }
                        do {
                            settings.model = try ModelDeclaration.spec(fromText: Self.modelText(text))
                        } catch let error as NNError {
                            throw SettingError(key: "model", value: text.count > 60 ? nil : text, message: error.description)
                        }
                    }, show: { ModelDeclaration.text(for: $0.model) }),
        ]
    }

    /// `training.strategy`: a built-in strategy, or one a program registered (``StrategyRegistry``).
    private static var strategySetting: Setting<RunSettings> {
        let names = Strategy.allCases.map(\.rawValue) + StrategyRegistry.names
        let accepts = names.joined(separator: " | ")
        return Setting(key: "training.strategy", flag: "strategy", accepts: accepts,
                       summary: "FedAvg, FedAvgM (server momentum), FedProx (proximal term on the clients), FedAdam or FedYogi (Reddi et al. 2021); or a strategy your own program registered (docs/EXTENDING.md)",
                       isSwitch: false, assign: { settings, input in
                           guard case let .text(text) = input else {
                               throw SettingError(key: "training.strategy", message: "must be one name (\(accepts)), not a list")
                           }
                           if let builtIn = Strategy(rawValue: text) {
                               (settings.strategy, settings.customStrategy) = (builtIn, nil)
                           } else if StrategyRegistry.store.factory(named: text) != nil {
                               (settings.strategy, settings.customStrategy) = (.fedavg, text)
                           } else {
                               throw SettingError(key: "training.strategy", value: text, message: "must be \(accepts)" + NearestName.hint(for: text, in: names))
                           }
                       }, show: { $0.customStrategy ?? $0.strategy.rawValue })
    }

    /// A setting naming something a program registered (a sampler, an evaluation hook), or
    /// `builtIn` for the default, which leaves it nil.
    private static func registered<Factory: Sendable>(_ store: NamedFactories<Factory>, flag: String, _ path: WritableKeyPath<RunSettings, String?>,
                                            summary: String) -> Setting<RunSettings> {
        let names = store.builtIn + store.names
        let accepts = names.joined(separator: " | ")
        return Setting(key: store.key, flag: flag, accepts: accepts, summary: summary, isSwitch: false,
                       assign: { settings, input in
                           guard case let .text(text) = input else {
                               throw SettingError(key: store.key, message: "must be one name (\(accepts)), not a list")
                           }
                           guard names.contains(text) else {
                               throw SettingError(key: store.key, value: text, message: "must be \(accepts)" + NearestName.hint(for: text, in: names))
                           }
                           settings[keyPath: path] = store.builtIn.contains(text) ? nil : text
                       }, show: { $0[keyPath: path] ?? store.builtIn[0] })
    }

    /// A declared list of numbers (one, or one per channel), unset until declared.
    private static func numbers(_ key: String, flag: String, _ path: WritableKeyPath<RunSettings, [Double]?>, positive: Bool,
                                summary: String) -> Setting<RunSettings> {
        let accepts = positive ? "a number > 0, or a list of them" : "a number, or a list of them"
        return Setting(key: key, flag: flag, accepts: accepts, summary: summary, isSwitch: false,
                       assign: { settings, input in
                           let entries: [String] = switch input {
                           case let .list(items): items
                           case let .text(text): text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                           }
                           settings[keyPath: path] = try entries.map { entry in
                               guard let value = Double(entry), value.isFinite, !positive || value > 0 else {
                                   throw SettingError(key: key, value: entry, message: "must be \(accepts)")
                               }
                               return value
                           }
                       }, show: { settings in settings[keyPath: path].map { "[" + $0.map { String($0) }.joined(separator: ", ") + "]" } ?? "the data's" })
    }

    /// A `model` value as a name or a declaration's JSON: a `.json` file's text when it names one.
    private static func modelText(_ text: String) throws -> String {
        guard text.hasSuffix(".json") else { return text }
        guard let contents = try? String(contentsOfFile: text, encoding: .utf8) else {
            throw SettingError(key: "model", value: text, message: "cannot read that file")
        }
        return contents
    }

    private static var training: [Setting<RunSettings>] {
        [
            .choice("simulation.clock", \.clock,
                    summary: "wall: rounds take the time they take; virtual: each sampled client's time is reckoned from its simulated device (VirtualDevices: its share, the model's size, a compute and link speed drawn from the seed), the deadline is in virtual seconds, and the run replays bit for bit from its seed"),
            .text("simulation.devices", \.devices, accepts: "a CSV file of devices (flops,mbps,latency,online)",
                  summary: "simulation.clock virtual: each client's device from this file (client i takes row i mod rows; docs/TOPOLOGY.md) instead of drawn from the seed"),
            .choice("training.mode", \.mode,
                    summary: "sync: rounds; fedasync: each update mixed in on arrival (Xie et al. 2019); fedbuff: a server step every buffer_size updates (Nguyen et al. 2022)"),
            strategySetting,
            .parsed("training.server_lr", \.serverLearningRate, accepts: "a number > 0",
                    summary: "server learning rate (default: 1 for fedavgm, 0.01 for fedadam and fedyogi)",
                    show: { $0.map { String($0) } ?? "strategy default" }) { text in
                Double(text).flatMap { $0.isFinite && $0 > 0 ? $0 : nil }
            },
            .number("training.server_momentum", \.serverMomentum, accepts: "a number in [0, 1)", summary: "FedAvgM's momentum") {
                $0 >= 0 && $0 < 1
            },
            .number("training.mu", \.mu, accepts: "a number ≥ 0", summary: "FedProx's proximal coefficient") { $0 >= 0 },
            .integer("training.rounds", \.rounds, minimum: 1, summary: "rounds to run (asynchronous modes: server steps)"),
        ]
    }

    private static var privacy: [Setting<RunSettings>] {
        [
            .number("privacy.clip", \.clip, accepts: "a number ≥ 0",
                    summary: "DP-FedAvg: clip each update's change to this L2 norm (the start value when the clip adapts); 0: no clipping, no privacy") { $0 >= 0 },
            .number("privacy.noise_multiplier", \.noiseMultiplier, accepts: "a number ≥ 0",
                    summary: "Gaussian noise on the sum of clipped changes, in clips (z); the accountant reports (ε, δ) every round") { $0 >= 0 },
            .number("privacy.delta", \.delta, accepts: "a number in (0, 1)", summary: "the δ that ε is reported at") { $0 > 0 && $0 < 1 },
            .choice("privacy.accountant", \.accountant,
                    summary: "how ε is computed: rdp (Rényi DP, fast), pld (the privacy loss distribution: tighter, a Fourier transform a round), both (ε by the PLD, RDP's beside it)"),
            .number("privacy.target_quantile", \.targetQuantile, accepts: "a number in [0, 1)",
                    summary: "adaptive clipping (Andrew et al. 2021): the clip tracks this quantile of update norms; 0: a fixed clip") { $0 >= 0 && $0 < 1 },
            .number("privacy.clip_lr", \.clipLearningRate, accepts: "a number > 0", summary: "adaptive clipping: the clip's geometric learning rate") { $0 > 0 },
            .number("privacy.count_noise", \.countNoise, accepts: "a number ≥ 0",
                    summary: "adaptive clipping: noise on the count of updates within the clip; 0: expected clients per round / 20") { $0 >= 0 },
            .number("privacy.local_noise", \.localNoise, accepts: "a number ≥ 0",
                    summary: "local DP: each worker clips its change to privacy.clip and adds this many clips of noise before sending it") { $0 >= 0 },
.boolean("privacy.private_metrics", \.privateMetrics,
                     summary: "a private run's metrics.jsonl, metrics.csv and report keep only what ε covers (participation, the clipped count, training losses and held-out evaluations are left out); false: they are kept and named in each row's outsideEpsilon"),
            .parsed("training.secure_aggregation", \.secureProtocol, accepts: "true | false | secagg | secagg+",
                    summary: "secure aggregation: workers send masked updates, and the scheduler sees only their sum; secagg (or true): Bonawitz et al. 2017, every worker with every other; secagg+: Bell et al. 2020, each with about 2 log2 n neighbours (training.secure_neighbours sets how many)",
                    isSwitch: true, show: { $0 == .secagg ? "true" : $0.rawValue }) { text in
                switch text.lowercased() {
                case "true", "yes", "on", "secagg": .secagg
                case "false", "no", "off": .off
                case "secagg+": .secaggPlus
                default: nil
                }
            },
            .number("training.secure_threshold", \.secureThreshold, accepts: "a number in [0.5, 1)",
                    summary: "secure aggregation: secrets are rebuilt from more than this fraction of a round's participants (a majority, at least 2); the rest may drop") {
                $0 >= 0.5 && $0 < 1
            },
.integer("training.secure_neighbours", \.secureNeighbours, minimum: 0,
                     summary: "secure aggregation: SecAgg+ (Bell et al. 2020), each worker sharing its secrets and masks with this many neighbours on a random graph instead of every other participant (O(n log n) a round with about 2 log2 n); 0: every other"),
            .number("training.secure_step_timeout", \.secureStepTimeout, accepts: "a number > 0",
                    summary: "secure aggregation: seconds each step after the keys waits for the workers asked; one that has not answered is left out, heartbeating or not") { $0 > 0 },
        ]
    }

    private static var asynchronous: [Setting<RunSettings>] {
        [
            .number("training.max_seconds", \.maxSeconds, accepts: "seconds ≥ 0",
                    summary: "stop after this long, once the round or step in progress is done; 0: no limit") { $0 >= 0 },
            .integer("training.max_staleness", \.maxStaleness, minimum: 0,
                     summary: "asynchronous modes: an update more server steps old than this is dropped"),
            .number("training.async_alpha", \.asyncAlpha, accepts: "a number in (0, 1]", summary: "fedasync: how much a fresh update moves the model") {
                $0 > 0 && $0 <= 1
            },
            .choice("training.staleness", \.staleness,
                    summary: "asynchronous modes: an update τ steps old counts s(τ): constant 1, polynomial (τ+1)^-a, hinge 1 up to b, then 1/(a(τ-b)+1)"),
            .number("training.staleness_a", \.stalenessA, accepts: "a number ≥ 0", summary: "the polynomial's exponent, or the hinge's slope") {
                $0 >= 0
            },
            .number("training.staleness_b", \.stalenessB, accepts: "a number ≥ 0", summary: "the hinge's threshold in steps") { $0 >= 0 },
            .integer("training.buffer_size", \.bufferSize, minimum: 1, summary: "fedbuff: updates per server step (K)"),
            .integer("training.evaluate_every", \.evaluateEvery, minimum: 1,
                     summary: "rounds between evaluations of the global model (the others are recorded without accuracy); asynchronous modes: server steps between evaluations and checkpoints; the last is always evaluated"),
        ]
    }

    private static var rest: [Setting<RunSettings>] {
        [
            .number("training.fraction", \.fraction, accepts: "a number in (0, 1]", summary: "fraction C of workers sampled per round") {
                $0 > 0 && $0 <= 1
            },
            .integer("training.min_workers", \.minimumWorkers, minimum: 1, summary: "at least this many workers per round"),
            registered(SamplerRegistry.store, flag: "sampler", \.customSampler,
                       summary: "how synchronous rounds choose their workers: uniformly, or by a sampler your own program registered (docs/EXTENDING.md)"),
            registered(EvaluationHookRegistry.store, flag: "evaluation-hook", \.evaluationHookName,
                       summary: "your own program's evaluation of the global model after every round, recorded in metrics.jsonl (docs/EXTENDING.md)"),
            .integer("training.local_epochs", \.localEpochs, minimum: 1, summary: "E, local passes over each worker's data"),
            .integer("training.batch_size", \.batchSize, minimum: 1, summary: "B, the local batch size"),
            .number("training.lr", \.learningRate, accepts: "a number > 0",
                    summary: "the local optimizer's learning rate (in round 1, with a schedule)") { $0 > 0 },
            .choice("training.optimizer", \.optimizer,
                    summary: "the local optimizer, fresh every task: sgd, adam (L2 weight decay) or adamw (decoupled weight decay)"),
            .choice("training.update_precision", \.updatePrecision,
                    summary: "how workers send their updates: float32 (their models) or bfloat16 (their changes from the round's model, rounded: half the bytes, each value within a relative 2^-8)"),
            .number("training.momentum", \.momentum, accepts: "a number in [0, 1)", summary: "sgd's momentum; 0: none") { $0 >= 0 && $0 < 1 },
            .number("training.weight_decay", \.weightDecay, accepts: "a number ≥ 0",
                    summary: "weight decay of the local optimizer (L2 for sgd and adam, decoupled for adamw); 0: none") { $0 >= 0 },
            .number("training.clip_grad_norm", \.gradientClip, accepts: "a number ≥ 0",
                    summary: "each local step's gradients scaled down to this total L2 norm when above it; 0: none (not privacy.clip)") { $0 >= 0 },
            .choice("training.fedbn", \.localNormalization,
                    summary: "FedBN (Li et al. 2021): what of batch normalization stays on each client, kept across rounds and left out of aggregation: none, statistics (running mean and variance), affine (scale and shift) or all"),
            .choice("training.lr_schedule", \.learningRateSchedule,
                    summary: "the local learning rate over the rounds: constant, step (times lr_gamma every lr_step_rounds) or cosine (to lr_min in the last round)"),
            .integer("training.lr_step_rounds", \.learningRateStepRounds, minimum: 1, summary: "step schedule: rounds between decays"),
            .number("training.lr_gamma", \.learningRateGamma, accepts: "a number in (0, 1]", summary: "step schedule: the factor of each decay") {
                $0 > 0 && $0 <= 1
            },
            .number("training.lr_min", \.learningRateMinimum, accepts: "a number ≥ 0", summary: "cosine schedule: the rate in the last round") { $0 >= 0 },
            .number("training.deadline", \.deadline, accepts: "seconds > 0", summary: "how long a round waits for updates") { $0 > 0 },
            .integer("training.quorum", \.quorum, minimum: 1, summary: "updates needed to aggregate a round (at most workers.count)"),
            .number("training.max_change_ratio", \.maxChangeRatio, accepts: "a number ≥ 1, or 0 for no bound",
                    summary: "an update whose change is more than this many times the round's median change (the lower median, with recent accepted ones), per square root of its local steps, is refused") {
                $0 == 0 || $0 >= 1
            },
            .integer("training.max_samples_per_update", \.maxSamplesPerUpdate, minimum: 0,
                     summary: "most samples an update may claim, whatever its worker registered; 0: the largest client share of the run's data"),
            .parsed("training.seed", \.seed, accepts: "a whole number ≥ 0",
                    summary: "initialization, sampling and partition: the same seed gives the same run", show: String.init) {
                UInt64($0)
            },
            .integer("training.max_concurrent_trainers", \.maxConcurrentTrainers, minimum: 0,
                     summary: "workers training at once; 0: one per core when the workers run on this machine, else no cap"),
            .number("training.heartbeat_timeout", \.heartbeatTimeout, accepts: "seconds > 0",
                    summary: "a worker silent this long (workers heartbeat every second) is lost until heard from again") { $0 > 0 },
            .number("training.registration_timeout", \.registrationTimeout, accepts: "seconds > 0",
                    summary: "how long the scheduler waits for the expected workers to register") { $0 > 0 },
            .boolean("training.resume", \.resume,
                     summary: "continue the run in its run directory from the last checkpoint (same seed) instead of starting anew"),
        ]
    }

    private static var security: [Setting<RunSettings>] {
        [
            .text("security.keys", flag: "keys", \.keys, accepts: "a directory",
                  summary: "CurveZMQ keys from tessera keys generate: the scheduler uses scheduler.key and admits every other NAME.pub as worker NAME; empty: no encryption"),
            .boolean("security.insecure", flag: "insecure", \.insecure,
                     summary: "allow listening beyond this machine without keys (anyone who reaches the port can join)"),
        ]
    }
}
