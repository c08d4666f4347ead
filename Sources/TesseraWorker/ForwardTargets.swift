import TesseraTransport

/// Where `forward` may send this worker's tensors, and how it reaches them.
///
/// A peer names the endpoint in its message, so without a rule it could make the worker
/// connect wherever it likes. Without keys, loopback and ipc endpoints are allowed and others
/// only when listed. With keys (a worker started with `--keys`), a forward goes over CURVE with
/// this worker's pair, pinning the public key of the worker at the endpoint, so only listed
/// endpoints whose worker is known by name are allowed, loopback ones included.
public struct ForwardTargets: Sendable {
    /// Endpoints beyond this machine that forwards may go to, without keys.
    public var endpoints: Set<String>
    /// With keys: this worker's pair, and the public key of the worker at each endpoint.
    public var curve: (keys: CurveKeyPair, serverKeys: [String: String])?

    /// Plain forwards to loopback endpoints and to `endpoints`.
    public init(endpoints: Set<String> = []) {
        self.endpoints = endpoints
    }

    /// CURVE forwards with `keys` to the endpoints in `serverKeys` (endpoint → the public key
    /// of the worker bound there), and nowhere else.
    public init(keys: CurveKeyPair, serverKeys: [String: String]) {
        endpoints = Set(serverKeys.keys)
        curve = (keys, serverKeys)
    }

    /// How to reach `endpoint`.
    ///
    /// - Throws: ``WorkerError/forwardRefused(endpoint:reason:)`` for an endpoint not allowed.
    public func security(for endpoint: String) throws(WorkerError) -> ChannelSecurity {
        if let curve {
            guard let serverKey = curve.serverKeys[endpoint] else {
                throw .forwardRefused(endpoint: endpoint, reason: "this worker uses keys, so it forwards only to workers it was started with by name (--forward-to NAME=ENDPOINT, with NAME.pub in its key directory)")
            }
            return .curveClient(keys: curve.keys, serverKey: serverKey)
        }
        guard Endpoint.isLoopback(endpoint) || endpoints.contains(endpoint) else {
            throw .forwardRefused(endpoint: endpoint, reason: "this worker forwards beyond this machine only to endpoints it was started with (--forward-to)")
        }
        return .none
    }
}
