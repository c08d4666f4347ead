import Testing
import TesseraNN
import TesseraScheduler
import TesseraTensor

/// What a program registers by name (a strategy, a sampler, an evaluation hook) is what the
/// settings accept, make and check; built-in names cannot be taken.
@Suite("Registered extensions")
struct ExtensionRegistryTests {
    struct FirstByID: ClientSampler {
        mutating func sample(_ candidates: SamplingCandidates, round: Int, count: Int, using generator: inout SeededGenerator) -> [String] {
            Array(candidates.map(\.workerID).sorted().prefix(count))
        }
    }

    static func set(_ key: String, _ value: String, in settings: inout RunSettings) throws {
        try #require(RunSettings.table.setting(key: key)).apply(.text(value), to: &settings)
    }

    @Test func aRegisteredSamplerAndHookAreNamedMadeAndShown() throws {
        try SamplerRegistry.register("test-first-by-id") { _ in FirstByID() }
        try EvaluationHookRegistry.register("test-round") { _ in { _, round in ["round": Double(round)] } }
        var settings = RunSettings()
        try Self.set("training.sampler", "test-first-by-id", in: &settings)
        try Self.set("training.evaluation_hook", "test-round", in: &settings)
        var sampler = try #require(try settings.makeClientSampler())
        var generator = SeededGenerator(seed: 1)
        let candidates = SamplingCandidates(["c", "a", "b"].map { SamplingCandidate(workerID: $0, samples: 10) })
        #expect(sampler.sample(candidates, round: 1, count: 2, using: &generator) == ["a", "b"])
        let hook = try #require(try settings.makeEvaluationHook())
        #expect(try hook(ParameterSet(), 7) == ["round": 7])
        #expect(RunSettings.table.setting(key: "training.sampler")?.value(in: settings) == "test-first-by-id")
        // The built-in names put the defaults back.
        try Self.set("training.sampler", "uniform", in: &settings)
        try Self.set("training.evaluation_hook", "none", in: &settings)
        #expect(try settings.makeClientSampler() == nil && settings.makeEvaluationHook() == nil)
    }

    @Test func aSamplerIsRefusedInAsynchronousAndPrivateRuns() throws {
        try SamplerRegistry.register("test-any") { _ in UniformSampler() }
        var settings = RunSettings()
        try Self.set("training.sampler", "test-any", in: &settings)
        try settings.validate()
        var asynchronous = settings
        asynchronous.mode = .fedbuff
        #expect(throws: SettingError.self) { try asynchronous.validate() }
        var isPrivate = settings
        (isPrivate.clip, isPrivate.noiseMultiplier) = (1, 1)
        let error = try #require(throws: SettingError.self) { try isPrivate.validate() }
        #expect(error.description.hasPrefix("training.sampler: cannot be used in a private run"), "\(error)")
    }

    @Test func builtInAndUnknownNamesAreRefused() throws {
        #expect(throws: SettingError.self) { try StrategyRegistry.register("fedavg") { _ in FedAvg() } }
        #expect(throws: SettingError.self) { try SamplerRegistry.register("uniform") { _ in UniformSampler() } }
        #expect(throws: SettingError.self) { try EvaluationHookRegistry.register("") { _ in { _, _ in [:] } } }
        var settings = RunSettings()
        let error = try #require(throws: SettingError.self) { try Self.set("training.evaluation_hook", "nonesuch", in: &settings) }
        #expect(error.description.hasPrefix("training.evaluation_hook: must be none"), "\(error)")
        settings.customSampler = "never-registered"
        #expect(throws: SettingError.self) { try settings.makeClientSampler() }
    }
}
