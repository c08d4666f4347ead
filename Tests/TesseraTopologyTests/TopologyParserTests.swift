import Foundation
import Testing
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

    @Test("every shipped topology parses", arguments: ["smoke", "mnist-iid-10", "mnist-noniid-shards", "mnist-dirichlet", "fedavg-paper"])
    func shippedTopologiesParse(name: String) throws {
        let topology = try TopologyParser.load(URL(fileURLWithPath: "Topologies/\(name).yaml"))
        #expect(topology.name == name)
        #expect(!topology.description.isEmpty)
    }

    @Test func theDefaultIsTheIssuesSetting() throws {
        let topology = try TopologyParser.load(URL(fileURLWithPath: "Topologies/mnist-iid-10.yaml"))
        #expect(topology.workers == 10 && topology.partition == .iid && topology.model.name == "mnist-cnn")
        #expect(topology.fraction == 1 && topology.hyperparameters.epochs == 1 && topology.hyperparameters.batchSize == 32 && topology.rounds == 3)
        let paper = try TopologyParser.load(URL(fileURLWithPath: "Topologies/fedavg-paper.yaml"))
        #expect(paper.workers == 100 && paper.fraction == 0.1 && paper.hyperparameters.epochs == 5 && paper.hyperparameters.batchSize == 10)
    }

    @Test func heldOutDataIsOffUnlessAsked() throws {
        #expect(try TopologyParser.parse("name: x\n", file: "t.yaml").heldOut == 0)
        #expect(try TopologyParser.parse("data:\n  held_out: 0.1\n", file: "t.yaml").heldOut == 0.1)
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
        #expect(error.description.hasPrefix("t.yaml:4: training.fractoin: unknown key"))
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
}
