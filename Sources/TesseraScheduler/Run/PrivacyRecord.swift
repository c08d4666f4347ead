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

    /// The record in `directory`, if there is one that can be read.
    static func read(from directory: URL) -> [String: String]? {
        (try? Data(contentsOf: url(in: directory))).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: String] }
    }
}
