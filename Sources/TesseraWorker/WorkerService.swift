import TesseraNN
import TesseraTensor
import TesseraWire

/// What a worker does with each request, independent of sockets: keeps the object store,
/// executes ops and plans on the kernel, answers gets. Every failure becomes an error reply;
/// nothing a request contains can stop the service.
public struct WorkerService: Sendable {
    /// The worker's name.
    public let workerID: String
    /// The tensors it holds.
    public private(set) var store: ObjectStore
    /// Most arithmetic operations one exec or plan may ask for (``/TesseraTensor/Op/work(for:)``), so that no
    /// request keeps the worker from others for long; a request over it is refused before any
    /// of its steps runs.
    public let maximumWorkPerRequest: Int
    /// Where ring ops' random values come from: the system's secure source.
    private var entropy = SystemEntropy()
    /// The default ``maximumWorkPerRequest``: 10^11 operations, 0.4 s of matmul on two Zen 4
    /// cores (slower ops weigh more per element in their estimate).
    public static let defaultMaximumWorkPerRequest = 100_000_000_000

    /// A service named `workerID` with an empty `store`.
    public init(workerID: String, store: ObjectStore = ObjectStore(),
                maximumWorkPerRequest: Int = WorkerService.defaultMaximumWorkPerRequest) {
        self.workerID = workerID
        self.store = store
        self.maximumWorkPerRequest = maximumWorkPerRequest
    }

    /// The reply to `message`, or nil for messages that need none (heartbeat, bye, replies).
    public mutating func handle(_ message: Message) -> Message? {
        do {
            switch message {
            case let .put(id, tensor):
                try store.store(tensor, as: id)
                return done
            case let .get(id):
                return store.holdsRing(id) ? .share(id: id, share: try store.ring(id)) : .tensor(id: id, tensor: try store.tensor(id))
            case let .shapeOf(id):
                return store.holdsRing(id) ? .shape(id: id, shape: try store.ring(id).shape, isShare: true)
                    : .shape(id: id, shape: try store.tensor(id).shape, isShare: false)
            case let .putShare(id, share):
                try store.store(share, as: id)
                return done
            case let .ringPlan(steps):
                try checkWork(of: steps)
                for (index, step) in steps.enumerated() { try Self.numbered(index, step) { try run(step) } }
                return done
            case let .delete(ids):
                store.delete(ids)
                return done
            case let .exec(step):
                try checkWork(of: [step])
                try run(step)
                return done
            case let .plan(steps):
                try checkWork(of: steps)
                for (index, step) in steps.enumerated() { try Self.numbered(index, step) { try run(step) } }
                return done
            case let .requireGrad(id):
                try store.store(try store.tensor(id).detached().requiringGrad(), as: id)
                return done
            case let .backward(id):
                // Costed like the ops it runs backward through (those of every graph alive).
                store.forgetReleasedGraphs()
                guard store.graph.work <= maximumWorkPerRequest else {
                    throw WorkerError.tooMuchWork(op: "backward", operations: store.graph.work, limit: maximumWorkPerRequest)
                }
                do {
                    try store.tensor(id).backward()
                } catch let error as TensorError {
                    throw WorkerError.backwardFailed(id, reason: error.description)
                }
                return done
            case let .gradient(id, output):
                guard let gradient = try store.tensor(id).grad else { throw WorkerError.noGradient(id) }
                try store.store(gradient, as: output)
                return done
            case .heartbeat, .bye, .done, .tensor, .share, .shape, .error, .update, .evaluation, .welcome:
                return nil
            case .register, .trainTask, .evaluateTask, .forward, .secureAggregation:
                throw WorkerError.notAccepted(kind: message.kindName, worker: workerID)
            }
        } catch {
            return .errorReply(for: error)
        }
    }

    /// Runs `body`, step `index` of a plan, its failure naming the step.
    private static func numbered(_ index: Int, _ step: some StoredStep, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as WorkerError {
            throw WorkerError.planStepFailed(index: index, op: step.opName, error)
        }
    }

    private var done: Message {
        .done(objectCount: UInt64(store.count), byteCount: UInt64(store.byteCount))
    }

    private mutating func run(_ step: PlanStep) throws {
        let inputs = try step.inputs.map { try store.tensor($0) }
        try checkAllocation(of: step, inputs: inputs)
        let result: Tensor
        do {
            // Recorded for autograd when an input requires grad (after `requireGrad`).
            result = try step.op.apply(to: inputs)
        } catch {
            throw WorkerError.opFailed(op: step.op.name, reason: "\(error)")
        }
        // A result recorded for autograd keeps its inputs alive for backward (counted as the
        // inputs' and the result's bytes), and its backward takes about twice its forward.
        let kept = result.recordsGraph ? inputs.reduce(result.count) { $0 + $1.count } * 4 : 0
        let backward = result.recordsGraph ? (try? step.op.work(for: inputs.map(\.shape))).map { $0.multipliedReportingOverflow(by: 2).partialValue } ?? 0 : 0
        try store.store(result, as: step.output, graphBytes: kept, graphWork: backward)
    }

    /// Runs one ring step: its inputs are ring tensors, a float tensor for `encode`; its result,
    /// checked to fit the store first, a ring tensor.
    private mutating func run(_ step: RingStep) throws {
        let shapes = try step.inputs.map { try store.shape(of: $0) }
        let shape: [Int]
        do {
            shape = try step.op.resultShape(for: shapes)
        } catch {
            throw WorkerError.opFailed(op: step.op.name, reason: "\(error)")
        }
        let elements = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        let available = store.bytesLeft + store.bytes(of: step.output)
        guard elements <= available / 8 else {
            throw WorkerError.resultTooLarge(op: step.op.name, shape: shape, bytes: elements.multipliedReportingOverflow(by: 8).partialValue,
                                             available: available)
        }
        let result: RingTensor
        do {
            if case .encode = step.op {
                result = try step.op.encode(store.tensor(step.inputs[0]))
            } else {
                result = try step.op.apply(to: step.inputs.map { try store.ring($0) }, using: &entropy)
            }
        } catch let error as WorkerError {
            throw error
        } catch {
            throw WorkerError.opFailed(op: step.op.name, reason: "\(error)")
        }
        try store.store(result, as: step.output)
    }

    /// Refuses `steps` (a plan's or a ring plan's) when together they ask for more work than one
    /// request may: their shapes are followed through the steps (store, then earlier outputs)
    /// without running anything. A step whose shapes cannot be known (an unknown id, a shape the
    /// op refuses) ends the estimate: running stops there anyway, with that step's own error.
    private func checkWork<Step: StoredStep>(of steps: [Step]) throws {
        var shapes: [TensorID: [Int]] = [:]
        var total = 0
        for step in steps {
            guard let inputs = try? step.inputs.map({ id in try shapes[id] ?? store.shape(of: id) }),
                  let work = try? step.work(for: inputs), let shape = try? step.resultShape(for: inputs) else { return }
            let (sum, overflow) = total.addingReportingOverflow(work)
            total = overflow ? .max : sum
            guard total <= maximumWorkPerRequest else {
                throw WorkerError.tooMuchWork(op: step.opName, operations: total, limit: maximumWorkPerRequest)
            }
            shapes[step.output] = shape
        }
    }

    /// Refuses a step whose result (with its working buffer) would not fit in what the store
    /// has left, before the op allocates anything: a shape in a message can ask for terabytes.
    private func checkAllocation(of step: PlanStep, inputs: [Tensor]) throws {
        let shapes = inputs.map(\.shape)
        let shape: [Int]
        let elements: Int
        do {
            shape = try step.op.resultShape(for: shapes)
            let (total, overflow) = try Tensor.elementCount(of: shape).addingReportingOverflow(step.op.scratchElements(for: shapes))
            guard !overflow else { throw WorkerError.resultTooLarge(op: step.op.name, shape: shape, bytes: .max, available: 0) }
            elements = total
        } catch let error as TensorError {
            throw WorkerError.opFailed(op: step.op.name, reason: error.description)
        }
        let replaced = store.bytes(of: step.output)
        let available = store.bytesLeft + replaced
        guard elements <= available / 4 else {
            throw WorkerError.resultTooLarge(op: step.op.name, shape: shape, bytes: elements.multipliedReportingOverflow(by: 4).partialValue,
                                             available: available)
        }
    }
}

/// What a plan's steps and a ring plan's share: an op on stored inputs into one output, whose
/// work and result shape are known from the inputs' shapes.
protocol StoredStep {
    var inputs: [TensorID] { get }
    var output: TensorID { get }
    var opName: String { get }
    func work(for shapes: [[Int]]) throws -> Int
    func resultShape(for shapes: [[Int]]) throws -> [Int]
}

extension PlanStep: StoredStep {
    var opName: String { op.name }
    func work(for shapes: [[Int]]) throws -> Int { try op.work(for: shapes) }
    func resultShape(for shapes: [[Int]]) throws -> [Int] { try op.resultShape(for: shapes) }
}

extension RingStep: StoredStep {
    var opName: String { op.name }
    func work(for shapes: [[Int]]) throws -> Int { try op.work(for: shapes) }
    func resultShape(for shapes: [[Int]]) throws -> [Int] { try op.resultShape(for: shapes) }
}
