import Foundation

/// Names the calling thread as `top -H`, `perf` and `/proc/PID/task/*/comm` show it (Linux keeps 15 bytes; a
/// thread otherwise inherits the name of the thread that started it, and Foundation's `Thread.name` does not reach
/// the system there). `pthread_setname_np` is a GNU extension the Glibc module does not export, so it is looked up.
func nameCurrentThread(_ name: String) {
    #if os(Linux)
    typealias SetName = @convention(c) (pthread_t, UnsafePointer<CChar>) -> Int32
    guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "pthread_setname_np") else { return }
    let setName = unsafeBitCast(symbol, to: SetName.self)
    _ = setName(pthread_self(), String(decoding: name.utf8.prefix(15), as: UTF8.self))
    #endif
}
