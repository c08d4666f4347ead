extension Tensor {
    /// Whether gradients flow to this tensor. Setting it to true makes this tensor a leaf whose
    /// `grad` is filled by `backward()`; setting it to false detaches it from any graph.
    public var requiresGrad: Bool {
        get { node != nil }
        set {
            if newValue {
                if node == nil || node?.isLeaf == false { node = GradNode() }
            } else {
                node = nil
            }
        }
    }

    /// This tensor as a gradient-tracking leaf.
    public func requiringGrad() -> Tensor {
        var copy = self
        copy.requiresGrad = true
        return copy
    }

    /// The same values, cut off from the autograd graph. The values are shared, not copied (a
    /// tensor still reading a received message goes on reading it).
    public func detached() -> Tensor {
        var copy = self
        copy.node = nil
        return copy
    }

    /// The gradient accumulated by `backward()` on this leaf, or nil.
    public var grad: Tensor? {
        guard let node, node.isLeaf else { return nil }
        return node.gradient.withLock { $0 }
    }

    /// Clears the accumulated gradient of this leaf.
    public func zeroGrad() {
        node?.gradient.withLock { $0 = nil }
    }

    /// Back-propagates from this tensor, adding `d(self)/d(leaf)` to the `grad` of every leaf
    /// it depends on. `self` must hold one element unless `seed` gives the output gradient.
    ///
    /// Runs in time linear in the size of the graph; intermediate gradients are freed as soon
    /// as they have been propagated.
    ///
    /// - Throws: ``TensorError`` when the tensor does not require grad, is not a scalar and no
    ///   `seed` is given, or `seed` has the wrong shape.
    public func backward(seed: Tensor? = nil) throws {
        guard let root = node else {
            throw TensorError(.noGradient, "backward() on a tensor that does not require grad")
        }
        let start: Tensor
        if let seed {
            guard seed.shape == shape else { throw TensorError.shapeMismatch("backward", shape, seed.shape) }
            start = seed.detached()
        } else {
            guard count == 1 else {
                throw TensorError(.noGradient, "backward() without a seed needs a one-element tensor, not shape \(shape)")
            }
            start = Tensor(shape: shape, storage: [1])
        }
        try GradMode.withoutGradients {
            var pending: [ObjectIdentifier: Tensor] = [ObjectIdentifier(root): start]
            for current in Self.topologicalOrder(from: root) {
                guard let gradient = pending.removeValue(forKey: ObjectIdentifier(current)) else { continue }
                guard let rule = current.backward else {
                    current.gradient.withLock { stored in
                        stored = stored.map { Tensor(shape: $0.shape, storage: Elementwise.add($0.storage, gradient.storage)) } ?? gradient
                    }
                    continue
                }
                let inputGradients = try rule(gradient)
                for (input, inputGradient) in zip(current.inputs, inputGradients) {
                    guard let input, let inputGradient else { continue }
                    let key = ObjectIdentifier(input)
                    if let existing = pending[key] {
                        pending[key] = Tensor(shape: existing.shape, storage: Elementwise.add(existing.storage, inputGradient.storage))
                    } else {
                        pending[key] = inputGradient
                    }
                }
            }
        }
    }

    /// Nodes reachable from `root`, each before all the nodes it depends on.
    private static func topologicalOrder(from root: GradNode) -> [GradNode] {
        var order: [GradNode] = []
        var visited: Set<ObjectIdentifier> = []
        // Iterative depth-first search: deep graphs must not overflow the stack.
        var stack: [(GradNode, Bool)] = [(root, false)]
        while let (node, expanded) = stack.popLast() {
            if expanded {
                order.append(node)
                continue
            }
            guard visited.insert(ObjectIdentifier(node)).inserted else { continue }
            stack.append((node, true))
            for input in node.inputs.reversed() {
                if let input, !visited.contains(ObjectIdentifier(input)) { stack.append((input, false)) }
            }
        }
        return order.reversed()
    }

    /// Whether this tensor is an op's result recorded for autograd: its graph keeps the op's
    /// inputs (and theirs) alive until it is released.
    public var recordsGraph: Bool { node.map { !$0.isLeaf } ?? false }

    /// The record of the op that made this tensor, as an opaque object, for a caller that
    /// accounts for the memory graphs keep (a weak reference to it tells when the record, and
    /// what it keeps, is gone); nil for tensors that record no graph.
    public var graphRecord: AnyObject? { recordsGraph ? node : nil }

    /// Records the result of an op: attaches a node when gradients are being recorded and an
    /// input needs them. `rule` maps the output gradient to one gradient per input.
    static func recorded(
        _ result: Tensor, inputs: [Tensor],
        rule: @escaping @Sendable (Tensor) throws -> [Tensor?]
    ) -> Tensor {
        guard GradMode.isEnabled, inputs.contains(where: { $0.node != nil }) else { return result }
        var tracked = result
        tracked.node = GradNode(inputs: inputs.map(\.node), backward: rule)
        return tracked
    }
}
