import TesseraTensor
import TesseraWorker

extension Tutorial {
    /// Part 1, "The basic tools of private deep learning": send tensors to a worker, get
    /// pointers back, compute on them remotely, and get the result.
    public static func part1(bob: RemoteWorker, say: Narrator = { _ in }) async throws -> Tensor {
        let x = try Tensor([1, 2, 3, 4, 5], shape: [5])
        let y = try Tensor([1, 1, 1, 1, 1], shape: [5])
        let xPointer = try await x.send(to: bob)
        let yPointer = try await y.send(to: bob)
        say("x and y now live on \(bob.name) as tensors \(xPointer.id) and \(yPointer.id)")
        let z = try await xPointer.adding(yPointer)
        say("z = x + y was computed on \(bob.name)")
        let result = try await z.get()
        say("z.get() -> \(result.scalars)")
        let (objects, _) = try await bob.storeSize()
        say("\(bob.name) holds \(objects) tensors")
        return result
    }
}
