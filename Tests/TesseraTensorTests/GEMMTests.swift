import Testing
@testable import TesseraTensor

@Suite("Packed GEMM")
struct GEMMTests {
    /// Sizes around the 6×16 tile, the 384-deep panel (`GEMM.depthBlock`), the 144-row block
    /// and the narrow-path threshold, plus primes and ones.
    static let sizes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (1, 17, 3), (5, 15, 7), (6, 16, 1), (7, 17, 13), (11, 31, 383), (12, 32, 384),
        (13, 33, 385), (37, 70, 1153), (64, 129, 5), (145, 16, 300), (150, 130, 40), (289, 48, 520),
        (7, 4100, 3), (300, 8, 2000), (12, 200, 600),
    ]

    static let transposes: [(Bool, Bool)] = [(false, false), (true, false), (false, true), (true, true)]

    /// Computes op(A)·op(B) with `pool`; A and B hold the values of `reference` inputs.
    static func product(
        _ a: Ref, _ b: Ref, m: Int, n: Int, k: Int, transposeA: Bool, transposeB: Bool,
        accumulateOnto initial: [Float]? = nil, pool: ThreadPool
    ) -> [Float] {
        let av = a.data.map(Float.init), bv = b.data.map(Float.init)
        var c = initial ?? [Float](repeating: .nan, count: m * n)
        av.withUnsafeBufferPointer { pa in
            bv.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    GEMM.multiply(
                        m: m, n: n, k: k,
                        a: MatrixOperand(rowMajor: pa.baseAddress!, columns: transposeA ? m : k, transposed: transposeA),
                        b: MatrixOperand(rowMajor: pb.baseAddress!, columns: transposeB ? k : n, transposed: transposeB),
                        c: pc.baseAddress!, ldc: n, accumulate: initial != nil, pool: pool)
                }
            }
        }
        return c
    }

    @Test("matches a Float64 reference", arguments: sizes, transposes)
    func matchesReference(size: (m: Int, n: Int, k: Int), transpose: (Bool, Bool)) {
        let (m, n, k) = size
        let a = Ref.random(transpose.0 ? [k, m] : [m, k], seed: UInt64(m * 31 + k))
        let b = Ref.random(transpose.1 ? [n, k] : [k, n], seed: UInt64(n * 17 + k))
        let expected = Reference.matmul(
            transpose.0 ? Reference.permute(a, [1, 0]) : a, transpose.1 ? Reference.permute(b, [1, 0]) : b)
        let result = Self.product(a, b, m: m, n: n, k: k, transposeA: transpose.0, transposeB: transpose.1, pool: TestPools.two)
        expectClose(Tensor(shape: [m, n], storage: result), expected, tolerance: 1e-5 * Double(max(1, k / 16)))
    }

    @Test("accumulates onto C when asked")
    func accumulates() {
        let (m, n, k) = (13, 33, 300)
        let a = Ref.random([m, k], seed: 1), b = Ref.random([k, n], seed: 2)
        let initial = (0..<(m * n)).map { Float($0 % 7) }
        let result = Self.product(a, b, m: m, n: n, k: k, transposeA: false, transposeB: false,
                                  accumulateOnto: initial, pool: TestPools.two)
        let expected = Reference.binary(Reference.matmul(a, b), Ref(shape: [m, n], data: initial.map(Double.init)), +)
        expectClose(Tensor(shape: [m, n], storage: result), expected, tolerance: 1e-4)
    }

    @Test("one and two threads give the same bits", arguments: sizes)
    func threadCountsAgree(size: (m: Int, n: Int, k: Int)) {
        let (m, n, k) = size
        let a = Ref.random([m, k], seed: 3), b = Ref.random([k, n], seed: 4)
        let one = Self.product(a, b, m: m, n: n, k: k, transposeA: false, transposeB: false, pool: TestPools.one)
        let two = Self.product(a, b, m: m, n: n, k: k, transposeA: false, transposeB: false, pool: TestPools.two)
        #expect(one == two)
    }

    @Test("zero depth writes zeros")
    func zeroDepth() {
        let result = Self.product(Ref(shape: [3, 0], data: []), Ref(shape: [0, 4], data: []), m: 3, n: 4, k: 0,
                                  transposeA: false, transposeB: false, pool: TestPools.two)
        #expect(result == [Float](repeating: 0, count: 12))
    }
}

/// Products with a right-hand operand packed once (an LSTM's recurrent weights, every step).
@Suite("Prepacked GEMM")
struct PrepackedGEMMTests {
    /// `op(A) · B` with B packed beforehand, onto `initial` when given, with `pool`.
    static func product(_ a: Ref, _ b: Ref, m: Int, n: Int, k: Int, transposeB: Bool, accumulateOnto initial: [Float]? = nil,
                        pool: ThreadPool) -> [Float] {
        let av = a.data.map(Float.init), bv = b.data.map(Float.init)
        var c = initial ?? [Float](repeating: .nan, count: m * n)
        av.withUnsafeBufferPointer { pa in
            bv.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    let packed = GEMM.PackedB(MatrixOperand(rowMajor: pb.baseAddress!, columns: transposeB ? k : n, transposed: transposeB), k: k, n: n)
                    GEMM.multiply(m: m, a: MatrixOperand(rowMajor: pa.baseAddress!, columns: k), packed: packed, c: pc.baseAddress!, ldc: n,
                                  accumulate: initial != nil, pool: pool)
                }
            }
        }
        return c
    }

    /// Every size of the packed GEMM's tests (several depth slices, partial strips and tiles),
    /// B as it is and transposed, against Float64; and onto C.
    @Test("matches a Float64 reference", arguments: GEMMTests.sizes, [false, true])
    func matchesReference(size: (m: Int, n: Int, k: Int), transposeB: Bool) {
        let (m, n, k) = size
        let a = Ref.random([m, k], seed: UInt64(m * 31 + k))
        let b = Ref.random(transposeB ? [n, k] : [k, n], seed: UInt64(n * 17 + k))
        let expected = Reference.matmul(a, transposeB ? Reference.permute(b, [1, 0]) : b)
        let result = Self.product(a, b, m: m, n: n, k: k, transposeB: transposeB, pool: TestPools.two)
        expectClose(Tensor(shape: [m, n], storage: result), expected, tolerance: 1e-5 * Double(max(1, k / 16)))
        let initial = (0..<(m * n)).map { Float($0 % 7) }
        let onto = Self.product(a, b, m: m, n: n, k: k, transposeB: transposeB, accumulateOnto: initial, pool: TestPools.two)
        #expect(zip(zip(onto, result), initial).allSatisfy { abs($0.0 - $0.1 - $1) <= 1e-4 * max(1, abs($0.0)) })
    }

    /// One and two threads give the same bits (the LSTM's determinism rests on it).
    @Test("one and two threads give the same bits", arguments: GEMMTests.sizes)
    func threadCountsAgree(size: (m: Int, n: Int, k: Int)) {
        let (m, n, k) = size
        let a = Ref.random([m, k], seed: 5), b = Ref.random([k, n], seed: 6)
        #expect(Self.product(a, b, m: m, n: n, k: k, transposeB: false, pool: TestPools.one)
                == Self.product(a, b, m: m, n: n, k: k, transposeB: false, pool: TestPools.two))
    }
}
