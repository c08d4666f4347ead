import Testing
import TesseraTensor
import TesseraWire
import TesseraWorker

@Suite("Worker service")
struct WorkerServiceTests {
    @Test func putExecGetDelete() throws {
        var service = WorkerService(workerID: "bob")
        #expect(service.handle(.put(id: 1, tensor: try Tensor([1, 2, 3, 4], shape: [2, 2]))) == .done(objectCount: 1, byteCount: 16))
        #expect(service.handle(.put(id: 2, tensor: try Tensor([1, -1, -1, 1], shape: [2, 2]))) == .done(objectCount: 2, byteCount: 32))
        _ = service.handle(.plan([PlanStep(op: .matmul, inputs: [1, 2], output: 3), PlanStep(op: .relu, inputs: [3], output: 4)]))
        #expect(service.handle(.get(id: 4)) == .tensor(id: 4, tensor: try Tensor([0, 1, 0, 1], shape: [2, 2])))
        #expect(service.handle(.delete(ids: [1, 2, 3, 4, 99])) == .done(objectCount: 0, byteCount: 0))
    }

    @Test func failuresAreErrorRepliesAndChangeNothing() throws {
        var service = WorkerService(workerID: "bob", store: ObjectStore(maximumObjects: 2))
        guard case let .error(code, text)? = service.handle(.get(id: 7)) else { Issue.record("expected an error"); return }
        #expect(code == WireError.Kind.requestFailed.rawValue && text.contains("7"))
        _ = service.handle(.put(id: 1, tensor: Tensor([1, 2])))
        _ = service.handle(.put(id: 2, tensor: Tensor([1, 2, 3])))
        guard case let .error(shapeCode, shapeText)? = service.handle(.exec(PlanStep(op: .add, inputs: [1, 2], output: 3))) else {
            Issue.record("expected an error"); return
        }
        #expect(shapeCode == WireError.Kind.requestFailed.rawValue && shapeText.contains("[2]") && shapeText.contains("[3]"))
        guard case let .error(limitCode, _)? = service.handle(.put(id: 3, tensor: Tensor([0]))) else { Issue.record("expected an error"); return }
        #expect(limitCode == WireError.Kind.limitExceeded.rawValue)
        guard case let .error(_, planText)? = service.handle(.plan([PlanStep(op: .relu, inputs: [1], output: 1),
                                                                     PlanStep(op: .relu, inputs: [9], output: 2)])) else {
            Issue.record("expected an error"); return
        }
        #expect(planText.contains("step 1"))
        #expect(service.store.count == 2)
    }

    /// What docs/PROTOCOL.md says about plans, rank 0 and slices, as a worker does it.
    @Test func documentedBehaviourOfPlansScalarsAndSlices() throws {
        var service = WorkerService(workerID: "bob")
        _ = service.handle(.put(id: 1, tensor: try Tensor([1, -2, 3, -4], shape: [4])))
        // A plan is not atomic: step 0's output stays when step 1 fails, and the error names step 1.
        guard case let .error(_, text)? = service.handle(.plan([PlanStep(op: .relu, inputs: [1], output: 2),
                                                                 PlanStep(op: .relu, inputs: [99], output: 3)])) else {
            Issue.record("expected an error"); return
        }
        #expect(text.hasPrefix("plan step 1 (relu)"), "\(text)")
        #expect(service.handle(.get(id: 2)) == .tensor(id: 2, tensor: Tensor([1, 0, 3, 0])))
        // A rank-0 tensor stays rank 0, and crossEntropy returns one.
        _ = service.handle(.put(id: 4, tensor: try Tensor([5], shape: [])))
        #expect(service.handle(.get(id: 4)) == .tensor(id: 4, tensor: try Tensor([5], shape: [])))
        _ = service.handle(.put(id: 5, tensor: try Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])))
        _ = service.handle(.put(id: 6, tensor: Tensor([0, 2])))
        _ = service.handle(.exec(PlanStep(op: .crossEntropy, inputs: [5, 6], output: 7)))
        guard case let .tensor(_, loss)? = service.handle(.get(id: 7)) else { Issue.record("no loss"); return }
        #expect(loss.shape == [])
        // A slice past the first dimension fails on the data: code 100.
        guard case let .error(code, _)? = service.handle(.exec(PlanStep(op: .slice(0..<9), inputs: [1], output: 8))) else {
            Issue.record("expected an error"); return
        }
        #expect(code == WireError.Kind.requestFailed.rawValue)
    }

    /// Ops whose results could not fit are refused before they allocate (each of these used to
    /// kill the worker or try to allocate gigabytes): an error reply with code 7, and the worker
    /// goes on serving.
    @Test func oversizedResultsAreRefusedBeforeAllocating() throws {
        var service = WorkerService(workerID: "bob", store: ObjectStore(maximumBytes: 256 << 20))
        _ = service.handle(.put(id: 1, tensor: Tensor([1, 2, 3, 4])))
        _ = service.handle(.put(id: 2, tensor: try Tensor.zeros([1 << 20, 1])))
        _ = service.handle(.put(id: 3, tensor: try Tensor.zeros([1, 1 << 20])))
        _ = service.handle(.put(id: 4, tensor: try Tensor.zeros([1, 1, 4, 4])))
        _ = service.handle(.put(id: 5, tensor: try Tensor.zeros([1, 1, 3, 3])))
        let attacks: [(String, PlanStep, UInt16)] = [
            ("reshape overflowing Int", PlanStep(op: .reshape([2_147_483_647, 2_147_483_647, 2_147_483_647]), inputs: [1], output: 9),
             WireError.Kind.requestFailed.rawValue),
            ("broadcast to 2^40 elements", PlanStep(op: .add, inputs: [2, 3], output: 9), WireError.Kind.limitExceeded.rawValue),
            ("one tensor concatenated 65,536 times", PlanStep(op: .concatenate(axis: 0), inputs: Array(repeating: 2, count: 65_536), output: 9),
             WireError.Kind.limitExceeded.rawValue),
            ("conv2d padded by 65,536", PlanStep(op: .conv2d(Conv2DOptions(padding: 65_536)), inputs: [4, 5], output: 9),
             WireError.Kind.limitExceeded.rawValue),
        ]
        for (name, step, expected) in attacks {
            guard case let .error(code, text)? = service.handle(.exec(step)) else { Issue.record("\(name) was not refused"); continue }
            #expect(code == expected, "\(name): \(text)")
        }
        guard case .error? = service.handle(.get(id: 9)) else { Issue.record("a refused op stored a result"); return }
        #expect(service.handle(.exec(PlanStep(op: .relu, inputs: [1], output: 6))) == .done(objectCount: 6, byteCount: 8 * (1 << 20) + 4 * (4 + 16 + 9 + 4)))
    }

    /// A request whose results fit can still take hours: one over the worker's work limit is
    /// refused before any of its steps runs (code 7), counted across a plan's steps, whose
    /// shapes are followed through the plan.
    @Test func requestsOverTheWorkLimitAreRefusedBeforeAnyStepRuns() throws {
        var service = WorkerService(workerID: "bob", maximumWorkPerRequest: 10_000)
        _ = service.handle(.put(id: 1, tensor: try Tensor.ones([10, 10])))
        // 2 · 100 · 10 = 2,000 operations: within the limit.
        #expect(service.handle(.exec(PlanStep(op: .matmul, inputs: [1, 1], output: 2))) == .done(objectCount: 2, byteCount: 800))
        // Five such matmuls chained (each on the one before) are 10,000; a sixth is over.
        func chain(_ count: Int, from first: TensorID) -> [PlanStep] {
            (0..<TensorID(count)).map { step in PlanStep(op: .matmul, inputs: [step == 0 ? 1 : first + step - 1, 1], output: first + step) }
        }
        #expect(service.handle(.plan(chain(5, from: 10))) == .done(objectCount: 7, byteCount: 2800))
        guard case let .error(code, text)? = service.handle(.plan(chain(6, from: 110))) else {
            Issue.record("a plan over the work limit ran"); return
        }
        #expect(code == WireError.Kind.limitExceeded.rawValue && text.contains("--max-work"), "\(text)")
        // Refused as a whole: not even its first step ran.
        guard case .error? = service.handle(.get(id: 110)) else { Issue.record("a refused plan ran its first step"); return }
        #expect(try Op.matmul.work(for: [[2, 3], [3, 4]]) == 2 * 8 * 3)
        #expect(try Op.conv2d(Conv2DOptions()).work(for: [[1, 3, 8, 8], [4, 3, 3, 3]]) == 2 * (4 * 6 * 6) * 27)
        #expect(try Op.matmul.work(for: [[1 << 20, 1 << 40], [1 << 40, 1 << 20]]) == .max)
    }

    /// Results recorded for autograd keep their inputs alive after their id is overwritten: a
    /// chain y ← y·x into one id once grew past the byte limit uncounted (2.1 GB with 256 MiB
    /// allowed). Their graph is counted, so the chain is refused at the limit; deleting it
    /// releases the count.
    @Test func autogradGraphsCountAgainstTheByteLimit() throws {
        var service = WorkerService(workerID: "bob", store: ObjectStore(maximumBytes: 1 << 20))
        let x = Tensor([Float](repeating: 1.0001, count: 10_000))
        _ = service.handle(.put(id: 1, tensor: x))
        _ = service.handle(.requireGrad(id: 1))
        _ = service.handle(.put(id: 2, tensor: x))
        var refusedAt: Int?
        for step in 0..<100 {
            if case let .error(code, _)? = service.handle(.exec(PlanStep(op: .multiply, inputs: [2, 1], output: 2))) {
                #expect(code == 7)
                refusedAt = step
                break
            }
        }
        let step = try #require(refusedAt, "a chain of 100 recorded products was never refused")
        #expect(step < 10)
        #expect(service.store.graph.bytes + service.store.byteCount <= 1 << 20)
        _ = service.handle(.delete(ids: [2]))
        #expect(service.store.graph.bytes == 0)
        #expect(service.handle(.put(id: 3, tensor: Tensor([Float](repeating: 0, count: 200_000)))) == .done(objectCount: 2, byteCount: 840_000))
    }

    /// Backward runs every recorded op again (about twice its work): it is costed so, against
    /// the same per-request limit as the ops, and refused beyond it (it once ran 8.5 s against a
    /// budget of 0.4 s).
    @Test func backwardIsCostedLikeTheOpsItRunsThrough() throws {
        var service = WorkerService(workerID: "bob", store: ObjectStore(), maximumWorkPerRequest: 200_000)
        _ = service.handle(.put(id: 1, tensor: Tensor([Float](repeating: 1, count: 10_000))))
        _ = service.handle(.requireGrad(id: 1))
        _ = service.handle(.put(id: 2, tensor: Tensor([Float](repeating: 1, count: 10_000))))
        for _ in 0..<4 { _ = service.handle(.exec(PlanStep(op: .multiply, inputs: [2, 1], output: 2))) }
        _ = service.handle(.exec(PlanStep(op: .sum(axes: nil, keepDimensions: false), inputs: [2], output: 3)))
        #expect(service.handle(.backward(id: 3)) == .done(objectCount: 3, byteCount: 80_004))
        for _ in 0..<8 { _ = service.handle(.exec(PlanStep(op: .multiply, inputs: [2, 1], output: 2))) }
        _ = service.handle(.exec(PlanStep(op: .sum(axes: nil, keepDimensions: false), inputs: [2], output: 3)))
        guard case let .error(code, text)? = service.handle(.backward(id: 3)) else { Issue.record("backward was not refused"); return }
        #expect(code == 7 && text.contains("backward"), "\(text)")
    }
}
