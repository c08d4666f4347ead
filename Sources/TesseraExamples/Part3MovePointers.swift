import TesseraTensor
import TesseraWorker

extension Tutorial {
    /// Part 3, "Advanced remote execution tools": move a tensor from one worker to another
    /// without it passing through the client, and keep computing where it lands. (PySyft's
    /// pointer chains, a pointer on Bob to a tensor on Alice, are not modelled: a move is
    /// explicit here.)
    public static func part3(bob: RemoteWorker, alice: RemoteWorker, say: Narrator = { _ in }) async throws -> Tensor {
        let x = try await Tensor([1, 2, 3, 4], shape: [2, 2]).send(to: bob)
        let doubled = try await x.adding(x)
        say("doubled on \(bob.name)")
        let moved = try await doubled.move(to: alice)
        say("moved \(bob.name) -> \(alice.name) directly; now tensor \(moved.id) on \(alice.name)")
        let product = try await moved.matmul(moved)
        return try await product.get()
    }
}
