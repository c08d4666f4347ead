extension RunTrace {
    /// For each message answered, the index in ``messages`` of its reply (the first received
    /// message from its receiver to its sender naming its id), keyed by the request's index.
    public func replies() -> [Int: Int] {
        struct Request: Hashable { var from: String, to: String, id: UInt64 }
        var replyIndex: [Request: Int] = [:]
        for (index, message) in messages.enumerated() where message.replyTo != 0 {
            let request = Request(from: message.receiver, to: message.sender, id: message.replyTo)
            if let known = replyIndex[request], messages[known].time <= message.time { continue }
            replyIndex[request] = index
        }
        var replies: [Int: Int] = [:]
        for (index, message) in messages.enumerated() {
            guard let reply = replyIndex[Request(from: message.sender, to: message.receiver, id: message.id)],
                  messages[reply].time >= message.time else { continue }
            replies[index] = reply
        }
        return replies
    }
}
