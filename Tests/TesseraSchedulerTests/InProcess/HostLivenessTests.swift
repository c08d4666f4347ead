import Foundation
import Testing
import TesseraScheduler
import TesseraTensor
import TesseraTransport
import TesseraWire

/// A process hosting many clients keeps contact for all of them: the scheduler counts anything
/// heard on its connection for each client, heartbeats the process once rather than each
/// client, and loses its clients together when it falls silent. Played by hand on the
/// in-process hub with a manual clock.
@Suite("Liveness per process")
struct HostLivenessTests {
    /// A process connected as `id` on the federation's hub, speaking as its clients or itself.
    final class PlayedHost {
        let id: String
        let channel: any MessageChannel
        private var nextID: UInt64 = 1000

        init(_ federation: InProcessFederation, id: String) throws {
            self.id = id
            channel = try Transport.inProcess(federation.hub).connect(InProcessFederation.address, identity: id)
        }

        /// Sends `message` as hosted `client`, or as the process itself when nil.
        func send(_ message: Message, as client: String?, replyTo: UInt64 = 0) throws {
            nextID += 1
            try channel.send(Envelope(id: nextID, replyTo: replyTo, message: message),
                             to: PeerID(InProcessFederation.address).hosting(client))
        }

        /// What came, each with the client it was for (nil: the process).
        func inbox() throws -> [(client: String?, envelope: Envelope)] {
            var received: [(String?, Envelope)] = []
            while let delivery = try channel.receive(timeout: 0) { received.append((delivery.peer.client, try delivery.envelope.get())) }
            return received
        }
    }

    /// Three clients of one process join; the run is then in round 1 with every client sampled.
    static func joined() throws -> (InProcessFederation, PlayedHost, [String]) {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 3, rounds: 2))
        let host = try PlayedHost(federation, id: "h")
        let clients = ["h/0", "h/1", "h/2"]
        for client in clients { try host.send(.register(workerID: client, sampleCount: 0, labelHistogram: []), as: client) }
        try federation.pump()
        var welcomed = 0
        while welcomed < 3 {
            let inbox = try host.inbox()
            for (client, envelope) in inbox {
                guard case .welcome = envelope.message else { continue }
                try host.send(.done(objectCount: 0, byteCount: 0), as: client, replyTo: envelope.id)
                welcomed += 1
            }
            try #require(!inbox.isEmpty, "welcomes stopped at \(welcomed)")
            try federation.pump()
        }
        return (federation, host, clients)
    }

    @Test func theProcessHeartbeatKeepsEveryClientAliveAndIsAnsweredOnce() throws {
        let (federation, host, clients) = try Self.joined()
        var heartbeats: [String?] = []
        for _ in 0..<15 {
            try host.send(.heartbeat, as: nil)
            try federation.advance(1)
            heartbeats += try host.inbox().filter { $0.envelope.message == .heartbeat }.map(\.client)
        }
        // 15 s, past the 10 s heartbeat timeout: no client is lost, none was sent its own heartbeat.
        #expect(clients.allSatisfy { federation.machine.membership[$0]?.status == .active })
        #expect(heartbeats.allSatisfy { $0 == nil } && (5...8).contains(heartbeats.count),
                "one heartbeat every 2 s for the process: \(heartbeats)")
        #expect(federation.failure == nil)
    }

    @Test func aSilentProcessLosesItsClientsTogetherAndItsNextWordBringsThemBack() throws {
        let (federation, host, clients) = try Self.joined()
        try federation.advance(10.5)
        #expect(clients.allSatisfy { federation.machine.membership[$0]?.status == .lost })
        try host.send(.heartbeat, as: nil)
        try federation.pump()
        #expect(clients.allSatisfy { federation.machine.membership[$0]?.status == .active })
    }

    /// A launcher that sees a worker process exit says so: its clients' tasks are given up at
    /// once, those sent and those not yet sent, and the round goes on with the other processes
    /// without waiting out the heartbeat timeout (the clock never moves here).
    @Test func aProcessKnownToHaveExitedLosesItsClientsAtOnce() throws {
        var settings = InProcessFederation.configuration(workers: 6)
        settings.maxConcurrentTrainers = 1
        let federation = try InProcessFederation(settings)
        let hosts = try ["a", "b", "c"].map { try PlayedHost(federation, id: $0) }
        for host in hosts {
            for client in ["\(host.id)/0", "\(host.id)/1"] {
                try host.send(.register(workerID: client, sampleCount: 0, labelHistogram: []), as: client)
            }
        }
        var tasks: [String: Envelope] = [:]
        for _ in 0..<10 where tasks.isEmpty {
            try federation.pump()
            for host in hosts {
                for (client, envelope) in try host.inbox() {
                    if case .welcome = envelope.message {
                        try host.send(.done(objectCount: 0, byteCount: 0), as: client, replyTo: envelope.id)
                    } else if case .trainTask = envelope.message {
                        tasks[host.id] = envelope
                    }
                }
            }
        }
        // One trainer at a time: one process has the task, the other two wait for it.
        let first = try #require(tasks.keys.first, "no process was sent the round's task")
        #expect(tasks.count == 1)
        let waiting = hosts.map(\.id).filter { $0 != first }
        // One still waiting exits, then the one training: the task goes to the third alone.
        try federation.processExited(waiting[0])
        try federation.processExited(first)
        let told = try hosts[["a", "b", "c"].firstIndex(of: waiting[0]) ?? 0].inbox().map(\.envelope.message)
        #expect(!told.contains { if case .trainTask = $0 { true } else { false } }, "\(told)")
        let last = hosts[["a", "b", "c"].firstIndex(of: waiting[1]) ?? 0]
        let task = try #require(try last.inbox().first { if case .trainTask = $0.envelope.message { true } else { false } })
        guard case let .trainTask(train) = task.envelope.message else { return }
        for client in task.envelope.recipients {
            let weights = train.weights.map { NamedTensor(name: $0.name, tensor: $0.tensor + 1) }
            try last.send(.update(TrainUpdate(round: train.round, modelVersion: train.modelVersion, sampleCount: 10, isDelta: false,
                                              metrics: [:], weights: weights)), as: client, replyTo: task.envelope.id)
        }
        try federation.pump()
        #expect(federation.rounds.count == 1 && federation.failure == nil)
        #expect(federation.rounds.first?.contributors == ["\(last.id)/0", "\(last.id)/1"], "\(federation.rounds)")
        #expect(["\(first)/0", "\(waiting[0])/1"].allSatisfy { federation.machine.membership[$0]?.status == .lost })
    }

    /// Two processes of two clients register; one process loads at a time. What each received.
    static func joiningTwoHosts() throws -> (InProcessFederation, a: PlayedHost, b: PlayedHost) {
        var settings = InProcessFederation.configuration(workers: 4)
        settings.maxConcurrentTrainers = 1
        let federation = try InProcessFederation(settings)
        let a = try PlayedHost(federation, id: "a"), b = try PlayedHost(federation, id: "b")
        for host in [a, b] {
            for client in ["\(host.id)/0", "\(host.id)/1"] {
                try host.send(.register(workerID: client, sampleCount: 0, labelHistogram: []), as: client)
            }
        }
        try federation.pump()
        return (federation, a, b)
    }

    /// The welcomes in `host`'s inbox, answered.
    @discardableResult
    static func answerWelcomes(of host: PlayedHost) throws -> [String] {
        var answered: [String] = []
        for (client, envelope) in try host.inbox() {
            guard case .welcome = envelope.message, let client else { continue }
            try host.send(.done(objectCount: 0, byteCount: 0), as: client, replyTo: envelope.id)
            answered.append(client)
        }
        return answered
    }

    /// A process that exits while its clients load their data is not waited for: the next
    /// process is welcomed at once and the run starts with its clients (the clock never moves).
    @Test func aProcessThatExitsWhileJoiningIsNotWaitedFor() throws {
        let (federation, a, b) = try Self.joiningTwoHosts()
        // a is welcomed first and is loading; b waits its turn.
        let loading = try a.inbox().compactMap { if case .welcome = $0.envelope.message { $0.client } else { nil } }
        let waiting = try b.inbox().filter { if case .welcome = $0.envelope.message { true } else { false } }
        #expect(loading == ["a/0", "a/1"] && waiting.isEmpty)
        try federation.processExited("a")
        #expect(try Self.answerWelcomes(of: b) == ["b/0", "b/1"])
        try federation.pump()
        let tasks = try b.inbox().filter { if case .trainTask = $0.envelope.message { true } else { false } }
        #expect(tasks.count == 1 && tasks.first?.envelope.recipients == ["b/0", "b/1"], "\(tasks.map(\.envelope.recipients))")
        #expect(federation.machine.membership.active == ["b/0", "b/1"] && federation.failure == nil)
    }

    /// A process that exits before its clients' turn, and is started again: its clients are
    /// welcomed over the new connection when their turn comes, not passed over.
    @Test func aProcessStartedAgainWhileJoiningHasItsClientsWelcomed() throws {
        let (federation, a, b) = try Self.joiningTwoHosts()
        _ = try a.inbox()
        b.channel.close()
        try federation.processExited("b")
        let restarted = try PlayedHost(federation, id: "b")
        for client in ["b/0", "b/1"] { try restarted.send(.register(workerID: client, sampleCount: 0, labelHistogram: []), as: client) }
        try federation.pump()
        _ = try restarted.inbox()
        // a's clients answer: b's turn, over its new connection.
        for client in ["a/0", "a/1"] {
            let welcome = try #require(federation.machine.membership[client].flatMap { member -> UInt64? in
                if case let .welcomed(id) = member.status { id } else { nil }
            })
            try a.send(.done(objectCount: 0, byteCount: 0), as: client, replyTo: welcome)
        }
        try federation.pump()
        #expect(try Self.answerWelcomes(of: restarted) == ["b/0", "b/1"])
        try federation.pump()
        #expect(federation.machine.membership.active == ["a/0", "a/1", "b/0", "b/1"] && federation.failure == nil)
    }

    @Test func aProcessWhoseClientsAreUnknownIsToldSoAndAskingAsItselfIsRefused() throws {
        let federation = try InProcessFederation(InProcessFederation.configuration(workers: 3))
        let host = try PlayedHost(federation, id: "h")
        try host.send(.heartbeat, as: nil)
        try federation.pump()
        #expect(try host.inbox().map(\.envelope.message) == [.error(code: WireError.Kind.notRegistered.rawValue,
                                                                     message: "h is not a worker of this run: send register first")])
        try host.send(.register(workerID: "h/0", sampleCount: 0, labelHistogram: []), as: "h/0")
        try host.send(.get(id: 1), as: nil)
        try federation.pump()
        let answers = try host.inbox()
        #expect(answers.count == 2 && answers.allSatisfy { $0.client == nil ? "\($0.envelope.message)".contains("only heartbeats and its bye") : $0.envelope.message == .done(objectCount: 0, byteCount: 0) },
                "\(answers)")
    }

    /// The clients of one process sampled in a round get the task in one message, which names
    /// them (header flag 2), rather than one copy of the weights each.
    @Test func aProcessSampledClientsGetTheTaskInOneMessage() throws {
        let (federation, host, clients) = try Self.joined()
        try federation.pump()
        let tasks = try host.inbox().filter { if case .trainTask = $0.envelope.message { true } else { false } }
        #expect(tasks.count == 1 && tasks.first?.client == nil && tasks.first?.envelope.recipients == clients,
                "\(tasks.map { ($0.client, $0.envelope.recipients) })")
    }

    /// Only a scheduler sends to several clients at once: a process that does is answered with
    /// an error, and the run goes on.
    @Test func aProcessSendingForSeveralClientsIsRefused() throws {
        let (federation, host, clients) = try Self.joined()
        _ = try host.inbox()
        var envelope = Envelope(id: 77, message: .heartbeat)
        envelope.recipients = clients
        try host.channel.send(envelope, to: PeerID(InProcessFederation.address))
        try federation.pump()
        let answers = try host.inbox().filter { if case .error = $0.envelope.message { true } else { false } }
        #expect(answers.count == 1 && answers.first?.envelope.replyTo == 77 && "\(answers)".contains("header flag 2"), "\(answers)")
        #expect(federation.failure == nil)
    }

    /// A process loads the run's data once: its clients are welcomed together, its connection
    /// counting once against `max_concurrent_trainers`, while workers of their own are still
    /// welcomed that many at a time.
    @Test func theClientsOfAProcessAreWelcomedTogether() throws {
        var settings = InProcessFederation.configuration(workers: 5)
        settings.maxConcurrentTrainers = 1
        let federation = try InProcessFederation(settings)
        let host = try PlayedHost(federation, id: "h")
        let alone = try PlayedHost(federation, id: "solo"), other = try PlayedHost(federation, id: "zolo")
        for client in ["h/0", "h/1", "h/2"] { try host.send(.register(workerID: client, sampleCount: 0, labelHistogram: []), as: client) }
        try alone.send(.register(workerID: "solo", sampleCount: 0, labelHistogram: []), as: nil)
        try other.send(.register(workerID: "zolo", sampleCount: 0, labelHistogram: []), as: nil)
        try federation.pump()
        func welcomes(_ played: PlayedHost) throws -> [(client: String?, envelope: Envelope)] {
            try played.inbox().filter { if case .welcome = $0.envelope.message { true } else { false } }
        }
        // Client index order: h/0, h/1, h/2, solo, zolo. All three of h at once; solo waits.
        let first = try welcomes(host), waiting = try welcomes(alone)
        #expect(first.map(\.client) == ["h/0", "h/1", "h/2"])
        #expect(waiting.isEmpty)
        for (client, envelope) in first { try host.send(.done(objectCount: 0, byteCount: 0), as: client, replyTo: envelope.id) }
        try federation.pump()
        // Then one worker of its own at a time.
        let solo = try welcomes(alone), none = try welcomes(other)
        #expect(solo.count == 1 && none.isEmpty)
        try alone.send(.done(objectCount: 0, byteCount: 0), as: nil, replyTo: solo[0].envelope.id)
        try federation.pump()
        let last = try welcomes(other)
        #expect(last.count == 1)
    }
}
