import Foundation
import Testing
@testable import TesseraScheduler
import TesseraTransport

/// What the scheduler knows of its workers, kept by slot: who speaks for whom, liveness per
/// connection, and welcomes.
@Suite("Membership")
struct MembershipTests {
    @Test func aHostedClientIsItsProcessAndItsIdAndNoOneElse() {
        var membership = Membership()
        let process = PeerID("p")
        membership.register("p/0", peer: process.hosting("p/0"), credential: nil, samples: 0, labels: [], at: 0)
        membership.register("p/1", peer: process.hosting("p/1"), credential: nil, samples: 0, labels: [], at: 0)
        membership.register("w", peer: PeerID("w"), credential: "w", samples: 7, labels: [3, 4], at: 0)
        #expect(membership.worker(at: process.hosting("p/1")) == "p/1")
        #expect(membership.worker(at: PeerID("q").hosting("p/1")) == nil)
        #expect(membership.worker(at: process) == nil && membership.worker(at: PeerID("p/1")) == nil)
        #expect(membership.worker(at: PeerID("w")) == "w" && membership.worker(at: PeerID("x").hosting("w")) == nil)
        #expect(membership["w"] == Membership.Member(id: "w", peer: PeerID("w"), credential: "w", clientIndex: nil, reportedSamples: 7,
                                                      reportedLabels: [3, 4], status: .registered))
        #expect(membership["p/0"]?.peer == process.hosting("p/0") && membership.count == 3 && membership.ids == ["p/0", "p/1", "w"])
        // Read apart, for each message: the same peer and key name as the whole member's.
        #expect(membership.peer(of: "p/1") == process.hosting("p/1") && membership.peer(of: "w") == PeerID("w"))
        #expect(membership.peer(of: "nobody") == nil)
        #expect(membership.credential(of: "w") == "w" && membership.credential(of: "p/0") == nil && membership.credential(of: "nobody") == nil)
        #expect(membership.connection(of: process.hosting("anyone")).known && Set(membership.connections) == [process, PeerID("w")])
        // The run's end goes to the worker on its own and once to the process.
        #expect(membership.farewells.workers == ["w"] && membership.farewells.processes == [process])
        #expect(membership.isActive("p/0") == false && membership.isActive("nobody") == false)
    }

    @Test func aWelcomeIsAnsweredOnlyByItsMessage() {
        var membership = Membership()
        membership.register("a", peer: PeerID("a"), credential: nil, samples: 0, labels: [], at: 0)
        membership.welcomed("a", messageID: 9, clientIndex: 4)
        #expect(membership["a"]?.status == .welcomed(messageID: 9) && membership["a"]?.clientIndex == 4)
        let early = membership.answeredWelcome("a", replyTo: 8)
        #expect(!early && membership.activeCount == 0)
        let answered = membership.answeredWelcome("a", replyTo: 9)
        #expect(answered && membership.activeCount == 1 && membership.active == ["a"])
        #expect(!membership.isWelcomed("a", messageID: 9))
        // Registering again (a restart) keeps its client and is welcomed anew.
        let again = membership.register("a", peer: PeerID("a"), credential: nil, samples: 2, labels: [], at: 1)
        #expect(again)
        membership.welcomed("a", messageID: 12, clientIndex: 4)
        #expect(membership["a"]?.reportedSamples == 2 && membership.isWelcomed("a", messageID: 12) && membership.activeCount == 0)
    }

    /// Process `p` hosting clients p/0, p/1 and p/2, and worker `w` on its own connection, all
    /// active.
    static func processAndWorker() -> Membership {
        var membership = Membership()
        for client in 0..<3 { membership.register("p/\(client)", peer: PeerID("p").hosting("p/\(client)"), credential: nil, samples: 0, labels: [], at: 0) }
        membership.register("w", peer: PeerID("w"), credential: nil, samples: 0, labels: [], at: 0)
        for (number, id) in ["p/0", "p/1", "p/2", "w"].enumerated() {
            membership.welcomed(id, messageID: UInt64(number), clientIndex: number)
            _ = membership.answeredWelcome(id, replyTo: UInt64(number))
        }
        return membership
    }

    @Test func aSilentConnectionLosesItsClientsTogetherAndHearingItBringsThemBack() {
        var membership = Self.processAndWorker()
        membership.heard(on: PeerID("w"), at: 8)
        let lost = membership.loseSilent(at: 10, timeout: 5)
        #expect(lost == ["p/0", "p/1", "p/2"] && membership.active == ["w"])
        let lostAgain = membership.loseSilent(at: 11, timeout: 5)
        #expect(lostAgain.isEmpty)
        // Anything heard over the process's connection brings its clients back.
        membership.heard(on: PeerID("p"), at: 12)
        #expect(membership.active == ["p/0", "p/1", "p/2", "w"] && membership.lastSeen("p/2") == 12)
        // One lost on its own (its task failed) is back when heard from.
        membership.lose("p/1")
        #expect(membership.activeCount == 3)
        membership.heard(from: "p/1", at: 13)
        #expect(membership.activeCount == 4)
        let candidates = membership.candidates { _ in 1 }
        #expect((0..<candidates.count).map { candidates[$0].workerID } == ["p/0", "p/1", "p/2", "w"])
    }

    @Test func aConnectionWhoseProcessExitedLosesItsClientsUntilTheyRegisterAgain() {
        var membership = Self.processAndWorker()
        membership.lose("p/1")
        // Heard from a moment ago, yet gone: the active ones are lost, and said so.
        membership.heard(on: PeerID("p"), at: 1)
        membership.heard(from: "p/1", at: 1)
        #expect(membership.loseConnection(of: PeerID("p")) == ["p/0", "p/1", "p/2"] && membership.active == ["w"])
        #expect(membership.loseConnection(of: PeerID("p")).isEmpty && membership.loseConnection(of: PeerID("nobody")).isEmpty)
        // A message the process sent before it ended brings none of them back.
        membership.heard(on: PeerID("p"), at: 2)
        membership.heard(from: "p/0", at: 2)
        #expect(membership.active == ["w"])
        // A process started again registers over the same identity: each client is back when it
        // registers again (and is welcomed), not all with the first; its heartbeat brings none.
        membership.register("p/0", peer: PeerID("p").hosting("p/0"), credential: nil, samples: 0, labels: [], at: 3)
        membership.heard(on: PeerID("p"), at: 4)
        #expect(membership.active == ["w"] && membership["p/1"]?.status == .lost && membership.lastSeen("p/1") == 4)
        membership.welcomed("p/0", messageID: 20, clientIndex: 0)
        _ = membership.answeredWelcome("p/0", replyTo: 20)
        #expect(membership.active == ["p/0", "w"])
    }
}
