/// A commit that did not answer every item of its batch (a bug, reported rather than hanging a caller).
public enum GroupCommitError: Error, CustomStringConvertible {
    case outputCount(Int)

    public var description: String { "group commit returned \(outputCountText) outputs for its batch" }
    private var outputCountText: String {
        switch self { case .outputCount(let count): "\(count)" }
    }
}
