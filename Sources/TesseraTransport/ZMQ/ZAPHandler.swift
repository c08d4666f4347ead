import CZMQ
import Foundation
import Synchronization

/// Part of the ZeroMQ implementation (it is a ZeroMQ socket of its own). The process's ZeroMQ authentication handler (ZAP, ZeroMQ RFC 27): libzmq asks it about every
/// CURVE client that connects to a CURVE server socket, and it admits only public keys on that
/// socket's allowlist, naming the client by its allowlist name (the socket's receivers see it
/// as the message's User-Id). libzmq admits every CURVE client when no handler runs, so no
/// CURVE server socket is made before this handler is up.
final class ZAPHandler: Sendable {
    /// Allowlists by ZAP domain (one domain per server socket), and where its refusals are told.
    private let allowlists = Mutex<[String: (allowed: [String: String], refusals: RefusalReport)]>([:])
    private let nextDomain = Atomic<Int>(0)

    /// The handler, started on `context` (one per context: it binds the fixed ZAP endpoint).
    ///
    /// - Throws: ``TransportError`` when the handler's socket cannot bind.
    init(context: ZMQContext) throws {
        // The socket is made, bound and used on the handler's own thread (libzmq sockets stay
        // on one thread); this waits until it is bound, or failed to.
        let started = DispatchSemaphore(value: 0)
        let failure = Mutex<TransportError?>(nil)
        let thread = Thread { [self] in
            let socket: ZMQSocket
            do {
                socket = try ZMQSocket(.reply, context: context)
                try socket.bind("inproc://zeromq.zap.01")
            } catch {
                failure.withLock { $0 = error as? TransportError ?? TransportError(.zmq, "ZAP handler: \(error)") }
                started.signal()
                return
            }
            started.signal()
            self.serve(socket)
        }
        thread.name = "tessera.zap"
        thread.start()
        started.wait()
        if let error = failure.withLock({ $0 }) { throw error }
    }

    /// A fresh ZAP domain admitting `allowed` (public key → name); each client refused is told
    /// to `refusals` with its address and public key.
    func register(_ allowed: [String: String], refusals: RefusalReport) -> String {
        let domain = "tessera-\(nextDomain.add(1, ordering: .relaxed).newValue)"
        allowlists.withLock { $0[domain] = (allowed, refusals) }
        return domain
    }

    /// Answers requests until the context ends (a receive fails with ETERM).
    private func serve(_ socket: ZMQSocket) {
        while true {
            let frames: [Data]
            do {
                guard let received = try socket.receive(timeout: nil) else { continue }
                frames = received
            } catch let error as TransportError where error.kind == .closed {
                break   // the context is ending
            } catch {
                continue
            }
            guard frames.count >= 6 else { continue }
            let text = { (index: Int) in String(decoding: frames[index], as: UTF8.self) }
            let (version, requestID, domain, address, mechanism) = (text(0), frames[1], text(2), text(3), text(5))
            var status = "400", reason = "not admitted", user = ""
            let key = mechanism == "CURVE" && frames.count >= 7 ? CurveKeyPair.z85(Array(frames[6])) : nil
            let entry = allowlists.withLock { $0[domain] }
            if version == "1.0", let key, let name = entry?.allowed[key] {
                (status, reason, user) = ("200", "OK", name)
            } else if let key {
                entry?.refusals.note(kind: "key", "refused a CURVE client at \(address): its public key \(key) is in no .pub of the key directory (grep -l for it in the client's keys to see whose it is)")
            } else {
                entry?.refusals.note(kind: "mechanism", "refused a client at \(address) that did not use CURVE (\(mechanism))")
            }
            try? socket.send([Data("1.0".utf8), requestID, Data(status.utf8), Data(reason.utf8), Data(user.utf8), Data()])
        }
        socket.close()
    }
}
