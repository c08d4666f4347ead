import Foundation
import Testing
import TesseraNN
import TesseraTopology

@Suite("Topology files")
struct TopologyParserTests {
    static func error(_ yaml: String) -> TopologyError? {
        do {
            _ = try TopologyParser.parse(yaml, file: "t.yaml")
            return nil
        } catch let error as TopologyError {
            return error
        } catch {
            return nil
        }
    }

    @Test("every shipped topology parses", arguments: ["smoke", "mnist-iid-10", "mnist-noniid-shards", "mnist-dirichlet", "fedavg-paper",
                                                             "sim-10k", "sim-1m", "sim-10k-virtual"])
    func shippedTopologiesParse(name: String) throws {
        let topology = try TopologyParser.load(URL(fileURLWithPath: "Topologies/\(name).yaml"))
        #expect(topology.name == name)
        #expect(!topology.description.isEmpty)
    }

    @Test func theDefaultIsTheIssuesSetting() throws {
        let topology = try TopologyParser.load(URL(fileURLWithPath: "Topologies/mnist-iid-10.yaml"))
        let run = topology.run
        #expect(run.workers == 10 && run.partition == .iid && run.model.name == "mnist-cnn")
        #expect(run.fraction == 1 && run.localEpochs == 1 && run.batchSize == 32 && run.rounds == 3)
        let paper = try TopologyParser.load(URL(fileURLWithPath: "Topologies/fedavg-paper.yaml")).run
        #expect(paper.workers == 100 && paper.fraction == 0.1 && paper.localEpochs == 5 && paper.batchSize == 10)
    }

    /// The simulation topologies spread their clients over a few processes; the million is
    /// written in the file.
    @Test func theSimulationsSpreadTheirClientsOverAFewProcesses() throws {
        let tenThousand = try TopologyParser.load(URL(fileURLWithPath: "Topologies/sim-10k.yaml"))
        #expect(tenThousand.run.workers == 10_000 && tenThousand.processCount == 8 && tenThousand.run.partition == .powerLaw)
        let million = try TopologyParser.load(URL(fileURLWithPath: "Topologies/sim-1m.yaml"))
        #expect(million.run.workers >= 1_000_000 && million.processCount == 4 && Int(Double(million.run.workers) * million.run.fraction) == 100)
        #expect(try TopologyParser.parse("workers:\n  count: 10\n  clients_per_process: 3\n", file: "t.yaml").processCount == 4)
    }

    @Test func clientsPerProcessIsRefusedWhereItCannotWork() {
        for (text, key) in [("workers:\n  count: 4\n  clients_per_process: 0\n", "workers.clients_per_process"),
                            ("workers:\n  count: 4\n  clients_per_process: 2\n  launch: slurm\n", "workers.clients_per_process"),
                            ("workers:\n  count: 4\n  clients_per_process: 2\nsimulation:\n  groups: [\"0-1: slowdown=2\"]\n", "simulation.groups")] {
            #expect(performing: { try TopologyParser.parse(text, file: "t.yaml") }, throws: { "\($0)".contains(key) })
        }
    }

    @Test func heldOutDataIsOffUnlessAsked() throws {
        #expect(try TopologyParser.parse("name: x\n", file: "t.yaml").run.heldOut == 0)
        #expect(try TopologyParser.parse("data:\n  held_out: 0.1\n", file: "t.yaml").run.heldOut == 0.1)
    }

    /// A model declared in the topology (a mapping, or a YAML file beside it, or on the command
    /// line), its mistakes at the model key's line, and the resolved text that resumes it.
    @Test func aModelDeclaredInTheTopologyOrAFile() throws {
        let yaml = """
        model:
          input: [1, 28, 28]
          layers:
            - flatten
            - linear: {out: 32}
            - relu
            - linear: {out: 10}
        """
        let declared = try TopologyParser.parse(yaml, file: "t.yaml").run.model
        #expect(declared.layers == [.flatten, .linear(inputs: 784, outputs: 32), .relu, .linear(inputs: 32, outputs: 10)])
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tessera-model-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "input: [1, 28, 28]\nlayers: [flatten, {linear: {out: 10}}]\n".write(to: folder.appendingPathComponent("lr.yaml"), atomically: true, encoding: .utf8)
        let topology = folder.appendingPathComponent("run.yaml").path
        #expect(try TopologyParser.parse("model: lr.yaml\n", file: topology).run.model.layers == ModelSpec.logisticRegression.layers)
        #expect(try TopologyParser.parse("name: x\n", file: topology, overrides: ["--model", folder.appendingPathComponent("lr.yaml").path]).run.model.layers
                == ModelSpec.logisticRegression.layers)
        // A model file that is not there: named by its path, from the topology or the command line.
        #expect { try TopologyParser.parse("model: none.yaml\n", file: topology) } throws: {
            "\($0)".contains("cannot read the model file \(folder.appendingPathComponent("none.yaml").path)")
        }
        let cwd = FileManager.default.currentDirectoryPath
        #expect { try TopologyParser.modelText("none.yaml", relativeTo: cwd + "/") } throws: {
            "\($0)".contains(URL(fileURLWithPath: cwd).appendingPathComponent("none.yaml").path + ": cannot read this model file")
        }
        let error = try #require(Self.error("name: x\nmodel:\n  input: [1, 28, 28]\n  layers: [{linear: {out: 10}}]\n"))
        #expect(error.line == 3 && error.description.contains("layer 0 (linear) receives [1, 28, 28]"), "\(error)")
        // What a run directory's settings hold reads back as the same model.
        let resolved = Topology.table.setting(key: "model")?.value(in: try TopologyParser.parse(yaml, file: "t.yaml")) ?? ""
        #expect(try TopologyParser.parse("model: '\(resolved)'\n", file: "t.yaml").run.model == declared)
    }

    @Test func unknownKeysNameTheFileLineAndKey() throws {
        let yaml = """
        name: x
        training:
          rounds: 3
          fractoin: 0.5
        """
        let error = try #require(Self.error(yaml))
        #expect(error.file == "t.yaml" && error.line == 4 && error.key == "training.fractoin")
        #expect(error.description.hasPrefix("t.yaml:4: training.fractoin: unknown key (did you mean 'training.fraction'?)"))
    }

    @Test func wrongTypesAndImpossibleValues() throws {
        let cases: [(String, String, Int)] = [
            ("workers:\n  count: many\n", "workers.count", 2),
            ("training:\n  fraction: 0\n", "training.fraction", 2),
            ("workers:\n  count: 3\ntraining:\n  quorum: 4\n", "training.quorum", 4),
            ("model: resnet\n", "model", 1),
            ("workers:\n  launch: docker\n", "workers.launch", 2),
            ("workers:\n  launch: ssh\n", "workers.hosts", 0),
            ("data:\n  partition: random\n", "data.partition", 2),
            ("training:\n  lr: -1\n", "training.lr", 2),
            ("data:\n  held_out: 1\n", "data.held_out", 2),
            ("data:\n  held_out: -0.1\n", "data.held_out", 2),
            ("training:\n  heartbeat_timeout: 0\n", "training.heartbeat_timeout", 2),
            ("scheduler:\n  bind: localhost:5555\n", "scheduler.bind", 2),
            ("training:\n  rounds:\n    many: 3\n", "training.rounds", 3),
        ]
        for (yaml, key, line) in cases {
            let error = try #require(Self.error(yaml), "\(key)")
            #expect(error.key == key, "\(yaml)")
            if line > 0 { #expect(error.line == line, "\(yaml)") }
        }
        #expect(Self.error("a: [unclosed") != nil)
        #expect(Self.error("") != nil)
        #expect(Self.error("- just\n- a list\n")?.description.contains("mapping") == true)
    }

    /// A wrong value's message shows the value and what is allowed.
    @Test func messagesShowTheValueAndWhatIsAllowed() throws {
        let error = try #require(Self.error("training:\n  rounds: three\n"))
        #expect(error.description == "t.yaml:2: training.rounds: must be a whole number ≥ 1, not 'three'")
    }

    /// `--set KEY=VALUE` and `--FLAG VALUE` override the file, with the file's checks.
    @Test func commandLineOverridesAreCheckedLikeTheFile() throws {
        let yaml = "workers:\n  count: 4\ntraining:\n  rounds: 3\n"
        let topology = try TopologyParser.parse(yaml, file: "t.yaml", overrides: ["--set", "training.rounds=5", "--lr", "0.1",
                                                                                  "--set=data.partition=dirichlet", "--alpha=0.3"])
        #expect(topology.run.rounds == 5 && topology.run.learningRate == 0.1)
        #expect(topology.run.partition == .dirichlet && topology.run.alpha == 0.3)
        func failure(_ overrides: [String]) -> String? {
            do {
                _ = try TopologyParser.parse(yaml, file: "t.yaml", overrides: overrides)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(failure(["--lr", "-0.05"]) == "the command line: training.lr: must be a number > 0, not '-0.05'")
        #expect(failure(["--set", "training.roundz=5"]) == "the command line: training.roundz: unknown key (did you mean 'training.rounds'?)")
        #expect(failure(["--roundz", "5"]) == "the command line: --roundz: unknown option (did you mean '--rounds'?)")
        // The nearer neighbour, not the first of equals: a dropped letter, a key without its
        // section, a transposition.
        #expect(failure(["--rouns", "5"]) == "the command line: --rouns: unknown option (did you mean '--rounds'?)")
        #expect(failure(["--set", "rounds=5"]) == "the command line: rounds: unknown key (did you mean 'training.rounds'?)")
        #expect(failure(["--set", "training.rnouds=5"]) == "the command line: training.rnouds: unknown key (did you mean 'training.rounds'?)")
        #expect(failure(["--rounds"]) == "the command line: --rounds: needs a value")
        #expect(failure(["--quorum", "5"])?.hasPrefix("t.yaml with the command line's settings: training.quorum: must be at most workers.count (4)") == true)
    }

    /// A run's snapshot writes numbers and booleans as YAML numbers and booleans, strings
    /// quoted, and reads back as the same topology.
    @Test func theSnapshotReadsBackWithItsNumbersAsNumbers() throws {
        let topology = try TopologyParser.load(try TopologyParser.locate("smoke"), overrides: ["--rounds", "5", "--lr", "0.25"])
        let snapshot = RunDirectory.snapshot(of: topology)
        #expect(snapshot.contains("\ntraining.rounds: 5\n") && snapshot.contains("\ntraining.lr: 0.25\n") && snapshot.contains("name: \"smoke\""),
                "\(snapshot)")
        let again = try TopologyParser.parse(snapshot, file: "topology.yaml")
        #expect(RunDirectory.snapshot(of: again) == snapshot)
    }

    /// A name that would put the run directory outside the runs directory, or be none, is refused.
    @Test func namesThatAreNotDirectoryNamesAreRefused() throws {
        for name in ["../../escaped", "", ".hidden", "a/b"] {
            #expect(throws: TopologyError.self, "\(name)") { try TopologyParser.parse("name: \"\(name)\"\n", file: "t.yaml") }
        }
        #expect(try TopologyParser.parse("name: mnist-iid_10.v2\n", file: "t.yaml").name == "mnist-iid_10.v2")
    }

    /// A topology name finds `Topologies/NAME.yaml`; a near miss is suggested.
    @Test func namesResolveToTopologyFiles() throws {
        #expect(try TopologyParser.locate("smoke").lastPathComponent == "smoke.yaml")
        #expect(try TopologyParser.locate("Topologies/smoke.yaml").lastPathComponent == "smoke.yaml")
        #expect(throws: TopologyError.self) { try TopologyParser.locate("smok") }
        do {
            _ = try TopologyParser.locate("smok")
        } catch {
            #expect("\(error)".contains("did you mean 'smoke'?"))
        }
        // A path is only itself: not looked for again under Topologies/.
        do {
            _ = try TopologyParser.locate("Topologies/nonexist.yaml")
        } catch {
            #expect("\(error)".hasPrefix("Topologies/nonexist.yaml: no such file; topologies: "), "\(error)")
        }
    }

    /// Every key in the table is in docs/TOPOLOGY.md's key table and the reverse, and every
    /// flag is unique, so the file, the command line and the documentation say the same.
    @Test func everyKeyIsDocumentedAndEveryFlagUnique() throws {
        let doc = try String(contentsOf: URL(fileURLWithPath: "docs/TOPOLOGY.md"), encoding: .utf8)
        let documented = Set(doc.split(separator: "\n").filter { $0.hasPrefix("| `") }.compactMap { line in
            line.split(separator: "`").dropFirst().first.map(String.init)
        })
        let keys = Set(Topology.table.settings.map(\.key))
        #expect(keys.subtracting(documented).isEmpty, "undocumented: \(keys.subtracting(documented).sorted())")
        #expect(documented.subtracting(keys).isEmpty, "documented but unknown: \(documented.subtracting(keys).sorted())")
        let flags = Topology.table.settings.map(\.flag)
        #expect(Set(flags).count == flags.count)
        for setting in Topology.table.settings {
            let row = doc.split(separator: "\n").first { $0.hasPrefix("| `\(setting.key)`") }
            #expect(row?.contains("`--\(setting.flag)`") == true, "\(setting.key)'s row names its flag --\(setting.flag)")
        }
    }

    /// Simulation groups: workers by index and range, each key checked, the last group's value
    /// winning, passed to each worker as its flags.
    @Test func simulationGroupsParseAndBecomeWorkerFlags() throws {
        let groups = try ["0-2,5: slowdown=5", "2: latency=0.2 bandwidth=8 offline=10-20+30-40"].map { try SimulationGroup.parse($0).get() }
        #expect(groups[0].workers == [0, 1, 2, 5] && groups[0].slowdown == 5)
        #expect(SimulationGroup.workerArguments(for: 2, in: groups)
                == ["--bandwidth", "8.0", "--latency", "0.2", "--offline", "10-20,30-40", "--slowdown", "5.0"])
        #expect(SimulationGroup.workerArguments(for: 3, in: groups).isEmpty)
        for bad in ["slowdown=5", "0-2: slowdown=0.5", "x: loss=0.1", "1: colour=red", "1:", "1: offline=20-10"] {
            guard case let .failure(error) = SimulationGroup.parse(bad) else { Issue.record("'\(bad)' was accepted"); continue }
            #expect(error.key == "simulation.groups")
        }
        #expect(throws: TopologyError.self, "a group naming worker 3 of 2 was accepted") {
            try TopologyParser.parse("workers:\n  count: 2\nsimulation:\n  groups: [\"0-3: slowdown=2\"]\n", file: "t.yaml")
        }
    }
}
