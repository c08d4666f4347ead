import Foundation
import TesseraTransport

/// `privacy.json` in a private run's directory: what the run has spent (``PrivacyBudget``'s
/// record), written before any model it paid for is released. A checkpoint is written after its
/// round's model may already have gone out; a run killed in between resumes from the record when
/// it counts more rounds than the checkpoint.
enum PrivacyRecord {
    static func url(in directory: URL) -> URL { directory.appendingPathComponent("privacy.json") }

    /// Writes `metadata` whole beside the file and renames it into place.
    ///
    /// - Throws: ``SchedulerError/writeFailed(path:reason:)``: the run must not release what it
    ///   could not count.
    static func write(_ metadata: [String: String], into directory: URL) throws {
        let url = url(in: directory)
        do {
            try JSONSerialization.data(withJSONObject: metadata, options: [.sortedKeys]).write(to: url, options: .atomic)
        } catch {
            throw SchedulerError.writeFailed(path: url.path, reason: FileFailure.reason(error))
        }
    }

    /// The record in `directory`; nil when there is none.
    ///
    /// - Throws: ``SchedulerError/badCheckpoint(path:reason:)`` for a record that cannot be
    ///   read: what it counted is unknown, and resuming without it could undercount.
    static func read(from directory: URL) throws -> [String: String]? {
        let url = url(in: directory)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let data = try? Data(contentsOf: url), let record = try? JSONSerialization.jsonObject(with: data) as? [String: String] else {
            throw SchedulerError.badCheckpoint(path: url.path, reason: "the privacy record cannot be read, so what the run spent is unknown; start a new run")
        }
        return record
    }
}
