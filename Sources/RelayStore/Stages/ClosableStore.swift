/// A store that holds connections (or a writer thread) and is closed once, when the relay stops.
public protocol ClosableStore: Sendable {
    /// Releases connections; later calls fail.
    func close() async
}
