import Foundation
import Synchronization
import Testing
import TesseraNN
import TesseraTransport
import TesseraWire
@testable import TesseraWorker

/// The federated client as a state machine, driven by hand on a manual clock: registration,
/// heartbeats and silence, joining, tasks one at a time, and the simulated device (slower,
/// leaving, offline by schedule) applied on the machine's clock, not by sleeping.
@Suite("Client machine")
struct ClientMachineTests {
    static let welcome = Message.welcome(runID: "run-1", configuration: try! ClientConfiguration(
        model: .logisticRegression, data: "synthetic", clients: 2, clientIndex: 0, seed: 1).json())
    static let registration = Message.register(workerID: "w", sampleCount: 10, labelHistogram: [])

    static func machine(_ clock: ManualClock, device: SimulatedDevice = SimulatedDevice()) -> ClientMachine {
        ClientMachine(workerID: "w", registration: registration, connection: .connected, clock: clock, device: device,
                      registrationRetry: 5, schedulerTimeout: 10, giveUpAfter: 60)
    }

    static func envelope(_ id: UInt64, _ message: Message) -> Result<Envelope, WireError> {
        .success(Envelope(id: id, message: message))
    }

    static let trainTask = Message.trainTask(TrainTask(round: 1, modelVersion: 0, hyperparameters: "{}", weights: []))
    static let update = Message.update(TrainUpdate(round: 1, modelVersion: 0, sampleCount: 10, isDelta: false, metrics: [:], weights: []))

    static func isError(_ message: Message) -> Bool {
        if case .error = message { true } else { false }
    }

    /// The messages among `actions`, with what they answer.
    static func sent(_ actions: [ClientAction]) -> [(message: Message, replyTo: UInt64)] {
        actions.compactMap { if case let .send(message, replyTo, _) = $0 { (message, replyTo) } else { nil } }
    }

    /// A machine that registered and joined run-1, at time 0 + what joining took.
    static func joined(_ clock: ManualClock, device: SimulatedDevice = SimulatedDevice()) throws -> ClientMachine {
        let client = machine(clock, device: device)
        _ = client.tick()
        let reply = sent(client.handle(envelope(1, welcome), from: nil))
        #expect(reply.map(\.message) == [.done(objectCount: 0, byteCount: 0)] && reply.first?.replyTo == 1)
        return client
    }

    @Test func itRegistersRetriesHeartbeatsReportsSilenceAndGivesUp() {
        let clock = ManualClock()
        let client = Self.machine(clock)
        #expect(Self.sent(client.tick()).map(\.message) == [Self.registration])
        clock.advance(by: 0.5)
        #expect(client.tick().isEmpty)
        // Unanswered: the registration again after 5 s (a heartbeat went out meanwhile).
        clock.advance(by: 4.5)
        #expect(Self.sent(client.tick()).map(\.message) == [Self.registration])
        _ = client.handle(Self.envelope(1, .heartbeat), from: nil)
        clock.advance(by: 1)
        #expect(Self.sent(client.tick()).map(\.message) == [.heartbeat])
        // Silent for 60 s after it was last heard: it gives up (having heartbeated all along).
        clock.advance(by: 58.9)
        #expect(!client.tick().contains { if case .giveUp = $0 { true } else { false } })
        clock.advance(by: 0.2)
        #expect(client.tick().contains { if case .giveUp = $0 { true } else { false } })
    }

    @Test func tasksRunOneAtATimeAndTheirAnswersGoOut() throws {
        let clock = ManualClock()
        let client = try Self.joined(clock)
        let started = client.handle(Self.envelope(7, Self.trainTask), from: nil)
        guard case let .startTask(task)? = started.first else { Issue.record("no task started: \(started)"); return }
        #expect(task.message == Self.trainTask && client.isBusy)
        // A second task while the first runs is refused, not queued.
        let busy = Self.sent(client.handle(Self.envelope(8, Self.trainTask), from: nil))
        #expect(busy.count == 1 && busy[0].replyTo == 8 && Self.isError(busy[0].message))
        let answered = Self.sent(client.taskFinished(Self.update, computeSeconds: 1))
        #expect(answered.map(\.message) == [Self.update] && answered[0].replyTo == 7 && !client.isBusy)
    }

    @Test func aSlowerDeviceAnswersWhenItWouldHaveFinished() throws {
        let clock = ManualClock()
        let client = try Self.joined(clock, device: SimulatedDevice(extraSeconds: 1, slowdown: 3))
        _ = client.handle(Self.envelope(7, Self.trainTask), from: nil)
        // Computed in 2 s here: held back 1 + (3 − 1) × 2 = 5 s more, heartbeating meanwhile.
        #expect(client.taskFinished(Self.update, computeSeconds: 2).isEmpty && client.isBusy)
        clock.advance(by: 4.9)
        #expect(!Self.sent(client.tick()).contains { $0.message == Self.update })
        clock.advance(by: 0.1)
        #expect(Self.sent(client.tick()).contains { $0.message == Self.update && $0.replyTo == 7 })
        #expect(!client.isBusy)
    }

    @Test func aDeviceThatLeavesLosesItsUpdateHearsNothingAndRegistersWhenBack() throws {
        let clock = ManualClock()
        let client = try Self.joined(clock, device: SimulatedDevice(availability: Availability(leave: 1, away: 10, seed: 1)))
        _ = client.handle(Self.envelope(7, Self.trainTask), from: nil)
        #expect(client.taskFinished(Self.update, computeSeconds: 1).isEmpty && client.isOffline)
        #expect(client.handle(Self.envelope(9, .heartbeat), from: nil).isEmpty)
        clock.advance(by: 9.9)
        #expect(client.tick().isEmpty)
        clock.advance(by: 0.1)
        #expect(Self.sent(client.tick()).map(\.message).first == Self.registration && !client.isOffline)
    }

    @Test func aTaskRunningWhenTheDeviceGoesOfflineByScheduleIsLost() throws {
        let clock = ManualClock()
        let client = try Self.joined(clock, device: SimulatedDevice(availability: Availability(leave: 0, away: 0, offline: [5...8], seed: 1)))
        _ = client.handle(Self.envelope(7, Self.trainTask), from: nil)
        clock.advance(by: 5)
        #expect(client.tick().isEmpty && client.isOffline)
        #expect(client.taskFinished(Self.update, computeSeconds: 5).isEmpty)
        clock.advance(by: 3)
        #expect(Self.sent(client.tick()).map(\.message).first == Self.registration && !client.isBusy)
    }

    @Test func anotherRunIsRefusedARestartedSchedulerIsJoinedAgainAndByeDismisses() throws {
        let clock = ManualClock()
        let client = try Self.joined(clock)
        let other = Self.sent(client.handle(Self.envelope(2, .welcome(runID: "run-2", configuration: "{}")), from: nil))
        #expect(other.count == 1 && Self.isError(other[0].message) && client.runID == "run-1")
        // Error 101: registered again at the next tick.
        #expect(client.handle(Self.envelope(3, .error(code: WireError.Kind.notRegistered.rawValue, message: "who?")), from: nil).isEmpty)
        #expect(Self.sent(client.tick()).map(\.message).first == Self.registration)
        // Garbage is answered; a tensor request goes to the service; bye ends it.
        let garbage = Self.sent(client.handle(.failure(WireError(.truncated, "short")), from: nil))
        #expect(garbage.count == 1 && Self.isError(garbage[0].message))
        #expect(client.handle(Self.envelope(4, .get(id: 1)), from: nil).contains { if case .serve = $0 { true } else { false } })
        #expect(client.handle(Self.envelope(5, .bye(reason: "done")), from: nil).contains { if case .dismissed = $0 { true } else { false } })
        #expect(client.dismissed && client.leave().isEmpty)
    }

    /// One of many clients of a process: it only registers (the process heartbeats and watches
    /// the scheduler's silence for all), and its next tick is due only when it has something to do.
    @Test func aHostedClientRegistersButNeitherHeartbeatsNorGivesUp() throws {
        let clock = ManualClock()
        let client = ClientMachine(workerID: "h/0", registration: Self.registration, connection: .connected, hosted: true, clock: clock,
                                   registrationRetry: 5, schedulerTimeout: 10, giveUpAfter: 60)
        #expect(client.nextTick == 0)
        #expect(Self.sent(client.tick()).map(\.message) == [Self.registration])
        #expect(client.nextTick == 5, "due again only to register again")
        // A restarted scheduler that forgot the process's clients: one still registering goes on as it was.
        client.schedulerForgot()
        #expect(client.nextTick == 5)
        _ = client.handle(Self.envelope(1, Self.welcome), from: nil)
        #expect(client.nextTick == nil, "joined and idle: nothing to do until a message comes")
        clock.advance(by: 120)
        #expect(client.tick().isEmpty, "no heartbeat, no silence warning, no giving up after 120 s")
        client.schedulerForgot()
        #expect(client.nextTick == 120 && Self.sent(client.tick()).map(\.message) == [Self.registration])
    }

    /// A client on its own is due for its heartbeat a second after it last sent anything.
    @Test func aClientOnItsOwnIsDueForItsHeartbeat() throws {
        let clock = ManualClock()
        let client = try Self.joined(clock)
        #expect(client.nextTick == 1)
        clock.advance(by: 1)
        #expect(Self.sent(client.tick()).map(\.message) == [.heartbeat] && client.nextTick == 2)
    }

    /// The driver's schedule gives the clients due, earliest first, and forgets a client's
    /// earlier due time when it is set again.
    @Test func theTickScheduleGivesTheDueClientsEarliestFirst() {
        var schedule = TickSchedule(count: 4)
        schedule.set(0, to: 3)
        schedule.set(1, to: 1)
        schedule.set(2, to: 2)
        schedule.set(3, to: nil)
        schedule.set(2, to: 5)
        #expect(schedule.earliest() == 1)
        #expect(schedule.takeDue(at: 3.5) == 1 && schedule.takeDue(at: 3.5) == 0 && schedule.takeDue(at: 3.5) == nil)
        #expect(schedule.earliest() == 5 && schedule.takeDue(at: 5) == 2 && schedule.earliest() == nil)
    }

    /// Admits every welcome, keeping the last configuration for all, and counts.
    final class CountingAdmission: ClientAdmission {
        let admitted = Atomic<Int>(0)
        let kept = Mutex<ClientConfiguration?>(nil)

        func admit(_ configuration: ClientConfiguration) throws {
            admitted.add(1, ordering: .relaxed)
            kept.withLock { $0 = configuration }
        }

        func configuration(ofClient index: Int) throws -> ClientConfiguration {
            var configuration = try #require(kept.withLock { $0 })
            configuration.clientIndex = index
            return configuration
        }
    }

    /// A client given an admission keeps neither a trainer nor a configuration while idle (only
    /// its index): the welcome is checked, and the trainer is made for each task (from the data
    /// its process shares) and dropped after.
    @Test func anIdleHostedClientHoldsNoTrainer() throws {
        let clock = ManualClock()
        let made = Atomic<Int>(0), admission = CountingAdmission()
        let client = ClientMachine(workerID: "h/0", registration: Self.registration, connection: .connected, hosted: true, clock: clock,
                                   admission: admission,
                                   makeTrainer: { made.add(1, ordering: .relaxed); return try LocalTrainer(configuration: $0) })
        _ = client.tick()
        #expect(Self.sent(client.handle(Self.envelope(1, Self.welcome), from: nil)).map(\.message) == [.done(objectCount: 0, byteCount: 0)])
        #expect(admission.admitted.load(ordering: .relaxed) == 1 && made.load(ordering: .relaxed) == 0 && client.trainer == nil)
        #expect(client.joined == nil && client.joinedIndex != nil)
        let global = try TesseraNN.Model(spec: .logisticRegression, seed: 1).parameters
        let train = Message.trainTask(TrainTask(round: 1, modelVersion: 0, hyperparameters: String(decoding: try JSONEncoder().encode(Hyperparameters()), as: UTF8.self),
                                                parameters: global))
        guard case let .startTask(task)? = client.handle(Self.envelope(2, train), from: nil).first else { Issue.record("no task"); return }
        guard case .update = task.run() else { Issue.record("the task did not train"); return }
        #expect(made.load(ordering: .relaxed) == 1 && client.trainer == nil)
    }
}
