import CZMQ

extension Transport {
    /// The version of the libzmq this process runs on ("4.3.4").
    public static var libzmqVersion: String {
        var (major, minor, patch): (Int32, Int32, Int32) = (0, 0, 0)
        zmq_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
