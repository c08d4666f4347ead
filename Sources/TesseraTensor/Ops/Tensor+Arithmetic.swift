import Foundation

// Elementwise arithmetic with NumPy broadcasting, and the unary elementwise functions, each with
// its local backward rule.

extension Tensor {
    /// `self + other`, broadcasting.
    public func adding(_ other: Tensor) throws -> Tensor {
        let shape = try Shape.broadcast(self.shape, other.shape, operation: "add")
        let result = Tensor(shape: shape, storage: Elementwise.broadcast(self, other, to: shape, Add.self))
        let (lhsShape, rhsShape) = (self.shape, other.shape)
        return Self.recorded(result, inputs: [self, other]) { gradient in
            [try gradient.summed(toShape: lhsShape), try gradient.summed(toShape: rhsShape)]
        }
    }

    /// `self - other`, broadcasting.
    public func subtracting(_ other: Tensor) throws -> Tensor {
        let shape = try Shape.broadcast(self.shape, other.shape, operation: "subtract")
        let result = Tensor(shape: shape, storage: Elementwise.broadcast(self, other, to: shape, Subtract.self))
        let (lhsShape, rhsShape) = (self.shape, other.shape)
        return Self.recorded(result, inputs: [self, other]) { gradient in
            [try gradient.summed(toShape: lhsShape), try gradient.negated().summed(toShape: rhsShape)]
        }
    }

    /// `self * other` elementwise, broadcasting.
    public func multiplying(_ other: Tensor) throws -> Tensor {
        let shape = try Shape.broadcast(self.shape, other.shape, operation: "multiply")
        let result = Tensor(shape: shape, storage: Elementwise.broadcast(self, other, to: shape, Multiply.self))
        let (lhs, rhs) = (self.detached(), other.detached())
        return Self.recorded(result, inputs: [self, other]) { gradient in
            [try gradient.multiplying(rhs).summed(toShape: lhs.shape),
             try gradient.multiplying(lhs).summed(toShape: rhs.shape)]
        }
    }

    /// `self / other` elementwise, broadcasting.
    public func dividing(_ other: Tensor) throws -> Tensor {
        let shape = try Shape.broadcast(self.shape, other.shape, operation: "divide")
        let result = Tensor(shape: shape, storage: Elementwise.broadcast(self, other, to: shape, Divide.self))
        let (lhs, rhs) = (self.detached(), other.detached())
        let quotient = result
        return Self.recorded(result, inputs: [self, other]) { gradient in
            let lhsGradient = try gradient.dividing(rhs)
            // d(a/b)/db = -(a/b)/b
            let rhsGradient = try lhsGradient.multiplying(quotient).negated()
            return [try lhsGradient.summed(toShape: lhs.shape), try rhsGradient.summed(toShape: rhs.shape)]
        }
    }

    /// `self` raised to `exponent` elementwise, broadcasting.
    public func raised(to exponent: Tensor) throws -> Tensor {
        let shape = try Shape.broadcast(self.shape, exponent.shape, operation: "pow")
        let result = Tensor(shape: shape, storage: Elementwise.broadcast(self, exponent, to: shape, Power.self))
        let (base, power, value) = (self.detached(), exponent.detached(), result)
        return Self.recorded(result, inputs: [self, exponent]) { gradient in
            // d(a^b)/da = b * a^(b-1); d(a^b)/db = a^b * log(a)
            let baseGradient = try gradient.multiplying(power).multiplying(
                base.raised(to: power.subtracting(Tensor(1))))
            let powerGradient = try gradient.multiplying(value).multiplying(base.log())
            return [try baseGradient.summed(toShape: base.shape), try powerGradient.summed(toShape: power.shape)]
        }
    }

    /// `-self`.
    public func negated() -> Tensor {
        let result = Tensor(shape: shape, storage: Elementwise.map(storage, Negate.self))
        return Self.recorded(result, inputs: [self]) { gradient in [gradient.negated()] }
    }

    /// `e^self` elementwise.
    public func exp() -> Tensor {
        let result = Tensor(shape: shape, storage: Elementwise.map(storage, Exp.self))
        let value = result
        return Self.recorded(result, inputs: [self]) { gradient in [try gradient.multiplying(value)] }
    }

    /// Natural logarithm elementwise (NaN below zero, -infinity at zero).
    public func log() -> Tensor {
        let result = Tensor(shape: shape, storage: Elementwise.map(storage, Log.self))
        let input = detached()
        return Self.recorded(result, inputs: [self]) { gradient in [try gradient.dividing(input)] }
    }

    /// Square root elementwise.
    public func sqrt() -> Tensor {
        let result = Tensor(shape: shape, storage: Elementwise.map(storage, SquareRoot.self))
        let value = result
        return Self.recorded(result, inputs: [self]) { gradient in
            [try gradient.dividing(value.multiplying(Tensor(2)))]
        }
    }

    /// `max(self, 0)` elementwise.
    public func relu() -> Tensor {
        let result = Tensor(shape: shape, storage: Elementwise.map(storage, Rectify.self))
        let input = detached()
        return Self.recorded(result, inputs: [self]) { gradient in
            [Tensor(shape: input.shape, storage: Elementwise.binary(input.storage, gradient.storage, PassWherePositive.self))]
        }
    }

    /// `1 / (1 + e^-self)` elementwise.
    public func sigmoid() -> Tensor {
        let result = Tensor(shape: shape, storage: Elementwise.map(storage, Sigmoid.self))
        let value = result
        return Self.recorded(result, inputs: [self]) { gradient in
            // s * (1 - s)
            [try gradient.multiplying(value.multiplying(Tensor(1).subtracting(value)))]
        }
    }

    /// Hyperbolic tangent elementwise.
    public func tanh() -> Tensor {
        let result = Tensor(shape: shape, storage: Elementwise.map(storage, HyperbolicTangent.self))
        let value = result
        return Self.recorded(result, inputs: [self]) { gradient in
            [try gradient.multiplying(Tensor(1).subtracting(value.multiplying(value)))]
        }
    }

    /// This gradient summed over the dimensions that broadcasting added or stretched, so that it
    /// has `target` shape again.
    func summed(toShape target: [Int]) throws -> Tensor {
        if shape == target { return self }
        let leading = rank - target.count
        var axes = Array(0..<leading)
        for axis in target.indices where target[axis] == 1 && shape[axis + leading] != 1 {
            axes.append(axis + leading)
        }
        return try sum(alongAxes: axes, keepingDimensions: true).reshaped(target)
    }
}

extension Tensor {
    /// `lhs + rhs`, broadcasting. - Throws: ``TensorError`` when the shapes do not broadcast.
    public static func + (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.adding(rhs) }
    /// `lhs - rhs`, broadcasting. - Throws: ``TensorError`` when the shapes do not broadcast.
    public static func - (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.subtracting(rhs) }
    /// `lhs * rhs` elementwise, broadcasting. - Throws: ``TensorError`` when the shapes do not broadcast.
    public static func * (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.multiplying(rhs) }
    /// `lhs / rhs` elementwise, broadcasting. - Throws: ``TensorError`` when the shapes do not broadcast.
    public static func / (lhs: Tensor, rhs: Tensor) throws -> Tensor { try lhs.dividing(rhs) }
    /// `-x`.
    public static prefix func - (x: Tensor) -> Tensor { x.negated() }

    // A scalar always broadcasts, so these cannot fail.
    /// `lhs + rhs` for every element.
    public static func + (lhs: Tensor, rhs: Float) -> Tensor { scalarOp(lhs, rhs) { try $0.adding($1) } }
    /// `lhs - rhs` for every element.
    public static func - (lhs: Tensor, rhs: Float) -> Tensor { scalarOp(lhs, rhs) { try $0.subtracting($1) } }
    /// `lhs * rhs` for every element.
    public static func * (lhs: Tensor, rhs: Float) -> Tensor { scalarOp(lhs, rhs) { try $0.multiplying($1) } }
    /// `lhs / rhs` for every element.
    public static func / (lhs: Tensor, rhs: Float) -> Tensor { scalarOp(lhs, rhs) { try $0.dividing($1) } }

    private static func scalarOp(_ lhs: Tensor, _ rhs: Float, _ op: (Tensor, Tensor) throws -> Tensor) -> Tensor {
        do {
            return try op(lhs, Tensor(rhs))
        } catch {
            preconditionFailure("a scalar broadcasts against any shape: \(error)")
        }
    }
}
