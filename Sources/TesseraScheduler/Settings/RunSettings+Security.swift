import Foundation
import TesseraTransport

extension RunSettings {
    /// The scheduler's channel security: none without `keys`; else CURVE with
    /// `keys/scheduler.key`, admitting every other `NAME.pub` there as worker `NAME`.
    ///
    /// - Throws: ``/TesseraTransport/TransportError`` (`.badKey`) for missing or unreadable keys, or no worker keys.
    public func schedulerSecurity() throws -> ChannelSecurity {
        guard !keys.isEmpty else { return .none }
        let directory = KeyDirectory(URL(fileURLWithPath: keys))
        let pair = try directory.pair(KeyDirectory.schedulerName)
        let allowed = try directory.allowlist(except: KeyDirectory.schedulerName)
        guard !allowed.isEmpty else {
            throw TransportError(.badKey, "\(keys) holds no worker keys (NAME.pub); make them with 'tessera keys generate NAME... --dir \(keys)'")
        }
        return .curveServer(keys: pair, allowed: allowed)
    }
}
