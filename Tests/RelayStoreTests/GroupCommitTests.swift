import RelayStore
import Synchronization
import Testing

@Suite("Group commit")
struct GroupCommitTests {
    struct Planned: Error {}

    final class Probe: Sendable {
        let batches = Mutex<[Int]>([])
        let writing = Atomic<Int>(0)
        let overlapped = Atomic<Bool>(false)
        let calls = Atomic<Int>(0)
    }

    @Test("concurrent submits share batches, each caller gets its own output, one writer at a time")
    func batches() async throws {
        let group = GroupCommit<Int, Int>(maxBatch: 64)
        let probe = Probe()
        let outputs = try await withThrowingTaskGroup(of: (Int, Int).self) { tasks in
            for index in 0..<300 {
                tasks.addTask {
                    let output = try await group.submit(index) { items in
                        if probe.writing.add(1, ordering: .sequentiallyConsistent).newValue > 1 {
                            probe.overlapped.store(true, ordering: .relaxed)
                        }
                        defer { probe.writing.subtract(1, ordering: .sequentiallyConsistent) }
                        try await Task.sleep(for: .milliseconds(5))
                        probe.batches.withLock { $0.append(items.count) }
                        return items.map { $0 * 2 }
                    }
                    return (index, output)
                }
            }
            return try await tasks.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        #expect(outputs.count == 300)
        #expect(outputs.allSatisfy { $0.value == $0.key * 2 })
        let sizes = probe.batches.withLock { $0 }
        #expect(sizes.reduce(0, +) == 300)
        #expect(sizes.count < 300, "no batching happened")
        #expect(sizes.allSatisfy { $0 <= 64 })
        let overlap = probe.overlapped.load(ordering: .relaxed)
        #expect(!overlap)
    }

    @Test("a failed batch fails every caller in it; the next batch is written by a waiting caller")
    func failure() async throws {
        let group = GroupCommit<Int, Int>(maxBatch: 8)
        let probe = Probe()
        let results = await withTaskGroup(of: Bool.self) { tasks in
            for index in 0..<40 {
                tasks.addTask {
                    do {
                        _ = try await group.submit(index) { items in
                            try await Task.sleep(for: .milliseconds(2))
                            // Every other batch fails.
                            if probe.calls.add(1, ordering: .relaxed).newValue % 2 == 1 { throw Planned() }
                            return items
                        }
                        return true
                    } catch {
                        return false
                    }
                }
            }
            return await tasks.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 40)
        #expect(results.contains(true) && results.contains(false))
        // Still usable afterwards.
        #expect(try await group.submit(7) { $0 } == 7)
    }

    @Test("a gathering batch stops waiting as soon as nothing more arrives: a lone caller is not held for the gather")
    func gatherEndsWhenQuiet() async throws {
        let group = GroupCommit<Int, Int>(maxBatch: 64, gather: .seconds(30), gatherBelow: 64)
        let started = ContinuousClock.now
        #expect(try await group.submit(3) { $0 } == 3)
        #expect(ContinuousClock.now - started < .seconds(10))
        // Callers that are all already waiting go in one batch, again without waiting out the gather.
        let probe = Probe()
        let outputs = try await withThrowingTaskGroup(of: Int.self) { tasks in
            for index in 0..<20 {
                tasks.addTask {
                    try await group.submit(index) { items in
                        probe.batches.withLock { $0.append(items.count) }
                        return items
                    }
                }
            }
            return try await tasks.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(outputs.sorted() == Array(0..<20))
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test("callers that give up (a deadline passed) take their waiting items back; the batch carries only the others")
    func cancelledCallersLeave() async throws {
        let group = GroupCommit<Int, Int>(maxBatch: 512)
        let probe = Probe()
        let release = Atomic<Bool>(false)
        let commit: @Sendable ([Int]) async throws -> [Int] = { items in
            // The first batch stalls (the store is away) until released.
            while !release.load(ordering: .relaxed) { try await Task.sleep(for: .milliseconds(5)) }
            probe.batches.withLock { $0.append(items.count) }
            return items
        }
        let stalled = Task { try await group.submit(-1, leavesWhenCancelled: true, commit: commit) }
        try await Task.sleep(for: .milliseconds(50))
        // 200 callers queue behind it; 150 of them give up.
        let callers = (0..<200).map { index in
            Task { try await group.submit(index, leavesWhenCancelled: true, commit: commit) }
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(group.waitingCount == 200)
        for caller in callers.prefix(150) { caller.cancel() }
        var cancelled = 0
        for caller in callers.prefix(150) {
            do { _ = try await caller.value } catch is CancellationError { cancelled += 1 }
        }
        #expect(cancelled == 150)
        #expect(group.waitingCount == 50)
        release.store(true, ordering: .relaxed)
        #expect(try await stalled.value == -1)
        for (index, caller) in callers.enumerated().dropFirst(150) { #expect(try await caller.value == index) }
        #expect(probe.batches.withLock { $0 } == [1, 50])
    }
}
