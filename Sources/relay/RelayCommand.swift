import ArgumentParser

@main
struct RelayCommand: AsyncParsableCommand {
    func run() async throws {}
}
