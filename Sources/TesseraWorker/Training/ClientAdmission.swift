import TesseraWire

/// Where the clients of a process that keep no trainer while idle are admitted: each welcome is
/// checked here, and the run's configuration is kept here once for all of them, so that an
/// idle client holds only its index (``PartitionCache`` in a process hosting many clients).
public protocol ClientAdmission: Sendable {
    /// Checks `configuration` for its client, without reading samples.
    ///
    /// - Throws: why the client cannot join.
    func admit(_ configuration: ClientConfiguration) throws

    /// The configuration of admitted client `index`.
    ///
    /// - Throws: when no client was admitted to a run since.
    func configuration(ofClient index: Int) throws -> ClientConfiguration
}
