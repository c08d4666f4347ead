import Foundation
import TesseraTensor
import TesseraTestSupport
import TesseraTransport
import TesseraWire
import TesseraWorker
import Testing

/// Secret-shared tensors on three worker processes (PySyft's `.share` with a crypto provider):
/// arithmetic on shares gives the arithmetic of the values within the fixed point's precision,
/// a worker's share alone is not the value, a tensor shared by its worker never leaves it in the
/// clear, and what cannot be done is refused with the reason.
@Suite("Secret-shared tensors on three workers", .serialized)
struct SharedTensorTests {
    func expectClose(_ got: Tensor, _ expected: Tensor, within tolerance: Float = 2e-3) {
        #expect(got.shape == expected.shape)
        let error = zip(got.scalars, expected.scalars).map { abs($0 - $1) }.max() ?? 0
        #expect(error <= tolerance, "largest error \(error)")
    }

    @Test func sharedArithmeticMatchesPlainArithmetic() async throws {
        let processes = try ["alice", "bob", "charlie"].map { try startWorker(id: $0) }
        defer { for (process, _) in processes { _ = process.stop() } }
        let (alice, bob, charlie) = (try RemoteWorker(name: "alice", endpoint: processes[0].1),
                                     try RemoteWorker(name: "bob", endpoint: processes[1].1),
                                     try RemoteWorker(name: "charlie", endpoint: processes[2].1))
        let x = try Tensor([1, -2.5, 3.25, 0.5, -1, 2], shape: [2, 3])
        let y = try Tensor([0.5, 2, -1, 4, 1.5, -0.25], shape: [2, 3])
        let w = try Tensor([1, 0.5, -2, 1, 0.25, 3], shape: [3, 2])
        let (sx, sy, sw) = (try await x.share(among: [alice, bob], cryptoProvider: charlie),
                            try await y.share(among: [alice, bob], cryptoProvider: charlie),
                            try await w.share(among: [alice, bob], cryptoProvider: charlie))
        expectClose(try await sx.reconstruct(), x, within: 1e-4)
        expectClose(try await sx.adding(sy).reconstruct(), try x + y, within: 1e-4)
        expectClose(try await sx.subtracting(sy).reconstruct(), try x - y, within: 1e-4)
        expectClose(try await sx.multiplying(sy).reconstruct(), try x * y)
        expectClose(try await sx.matmul(sw).reconstruct(), try x.matmul(w))
        // A product of products: the truncation keeps the fixed point where it was.
        expectClose(try await sx.matmul(sw).matmul(try await sx.matmul(sw).reconstruct().transposed().share(among: [alice, bob]))
            .reconstruct(), try x.matmul(w).matmul(x.matmul(w).transposed()), within: 1e-2)

        // One share alone is not the value: it is uniformly random.
        let share = try await alice.fetchShare(sx.shares[0].id)
        #expect(share.decoded(FixedPoint.shares).scalars != x.scalars)

        // A tensor on alice shared by alice: bob gets a random share only, and the sum is right.
        let onAlice = try await x.send(to: alice)
        let shared = try await onAlice.share(among: [alice, bob], cryptoProvider: charlie)
        #expect(shared.shares.map(\.worker.name) == ["alice", "bob"] && shared.shape == [2, 3])
        // The shape is asked for alone (no share's values travel to learn it), of a tensor or a share.
        let (tensorShape, shareShape) = (try await alice.shape(of: onAlice.id), try await bob.shape(of: shared.shares[1].id))
        #expect(tensorShape == [2, 3] && shareShape == [2, 3])
        await #expect(throws: RemoteError.self) { try await alice.shape(of: 987_654) }
        expectClose(try await shared.adding(sy).reconstruct(), try x + y, within: 1e-4)
        // Shared among bob and charlie by alice, which keeps nothing.
        let elsewhere = try await onAlice.share(among: [bob, charlie])
        expectClose(try await elsewhere.reconstruct(), x, within: 1e-4)
    }

    @Test func whatCannotBeDoneIsRefusedWithTheReason() async throws {
        let processes = try ["alice", "bob", "charlie"].map { try startWorker(id: $0) }
        defer { for (process, _) in processes { _ = process.stop() } }
        let workers = try zip(["alice", "bob", "charlie"], processes).map { try RemoteWorker(name: $0, endpoint: $1.1) }
        let x = try Tensor([1, 2, 3, 4], shape: [2, 2])
        let plain = try await x.share(among: [workers[0], workers[1]])
        let three = try await x.share(among: workers, cryptoProvider: workers[2])
        let noProvider = await #expect(throws: RemoteTensorError.self) { try await plain.multiplying(plain) }
        #expect(noProvider?.description.contains("crypto provider") == true)
        let parties = await #expect(throws: RemoteTensorError.self) { try await three.matmul(three) }
        #expect(parties?.description.contains("2 parties") == true)
        await #expect(throws: RemoteTensorError.self) { try await plain.adding(three) }
        let row = try await Tensor([1, 2]).share(among: [workers[0], workers[1]], cryptoProvider: workers[2])
        await #expect(throws: RemoteTensorError.self) { try await plain.multiplying(row) }
        await #expect(throws: RemoteTensorError.self) { try await Tensor([Float.infinity]).share(among: [workers[0], workers[1]]) }
        // A product that could wrap around the ring is refused with the figures (46341² came
        // back as -2.147e9); one within the bound is right.
        let big = try await Tensor([46341]).share(among: [workers[0], workers[1]], cryptoProvider: workers[2])
        let wraps = await #expect(throws: RemoteTensorError.self) { try await big.multiplying(big) }
        #expect(wraps?.description.contains("could reach 2147488281") == true, "\(wraps?.description ?? "")")
        let fits = try await Tensor([250]).share(among: [workers[0], workers[1]], cryptoProvider: workers[2])
        #expect(abs(try await fits.multiplying(fits).reconstruct().scalars[0] - 62_500) < 0.01)
        // A matrix product sums its inner dimension's products: 4 of 150² could pass 2^16.
        let wide = try await Tensor([Float](repeating: 150, count: 4), shape: [1, 4]).share(among: [workers[0], workers[1]], cryptoProvider: workers[2])
        let tall = try await Tensor([Float](repeating: 150, count: 4), shape: [4, 1]).share(among: [workers[0], workers[1]], cryptoProvider: workers[2])
        await #expect(throws: RemoteTensorError.self) { try await wide.matmul(tall) }
        // Values shared by their own worker have no bound the client knows, unless it is given.
        let remote = try await Tensor([3]).send(to: workers[0])
        let unknown = try await remote.share(among: [workers[0], workers[1]], cryptoProvider: workers[2])
        await #expect(throws: RemoteTensorError.self) { try await unknown.multiplying(unknown) }
        let known = try await remote.share(among: [workers[0], workers[1]], cryptoProvider: workers[2], bound: 10)
        #expect(abs(try await known.multiplying(known).reconstruct().scalars[0] - 9) < 1e-3)
        // A float op on a share, and a ring op on a float tensor, name what the id holds.
        let float = try await x.send(to: workers[0])
        let wrong = await #expect(throws: RemoteError.self) {
            try await workers[0].run([PlanStep(op: .relu, inputs: [plain.shares[0].id], output: workers[0].makeID())])
        }
        #expect(wrong?.description.contains("ring tensor") == true, "\(wrong?.description ?? "")")
        await #expect(throws: RemoteError.self) { try await workers[0].runRing([RingStep(.negate, [float.id], into: 1)]) }
        // An impossible size is refused before anything is allocated, and the worker goes on.
        let huge = await #expect(throws: RemoteError.self) {
            try await workers[0].runRing([RingStep(.random(shape: [1 << 18, 1 << 18]), [], into: 2)])
        }
        #expect(huge?.description.contains("bytes") == true, "\(huge?.description ?? "")")
        expectClose(try await plain.reconstruct(), x, within: 1e-4)
    }
}
