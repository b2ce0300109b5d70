public import Hummingbird
public import Logging
import NIOCore
import Prometheus
public import RelayCore
import RelayDelivery
import RelayStore
import ServiceLifecycle

/// What `relay serve` runs.
public struct ServeOptions: Sendable {
    /// Run the delivery workers (off with `--no-delivery`).
    public var delivery: Bool
    /// Accept callbacks (off with `--delivery-only`).
    public var ingest: Bool

    /// Fault injection for crash tests: a pause before each normalisation batch, so callbacks are stored but not
    /// yet normalised when the test kills the process.
    public var normaliseDelay: Duration

    public init(delivery: Bool = true, ingest: Bool = true, normaliseDelay: Duration = .zero) {
        self.delivery = delivery
        self.ingest = ingest
        self.normaliseDelay = normaliseDelay
    }
}

/// Builds the relay: store, normaliser, routes and background services, wired from one configuration.
/// - Parameters:
///   - configuration: the validated configuration.
///   - options: which parts to run.
///   - logger: the background logger.
public func buildApplication(
    configuration: RelayConfiguration, options: ServeOptions = .init(), logger: Logger
) async throws -> some ApplicationProtocol {
    let store: any RelayStore
    switch configuration.storage {
    case .sqlite(let sqlite):
        store = try SQLiteStore(configuration: sqlite, logger: logger)
    case .postgres(let postgres):
        store = try await PostgresStore.open(url: postgres.url, maxBatch: postgres.maxBatch,
                                             maxConnections: postgres.maxConnections, logger: logger)
    }
    let queue = NormalisationQueue()
    let metrics = RelayMetrics()
    let wakeup = DeliveryWakeup()
    // Another instance on a shared store committed deliveries: look for due ones now rather than at the next poll.
    store.onDeliveriesChanged { wakeup.signal() }
    let normaliser = NormalisationService(store: store, queue: queue, configuration: configuration, logger: logger,
                                          metrics: metrics, wakeup: wakeup, delay: options.normaliseDelay)
    // Graceful shutdown runs in reverse order: the server stops first, then delivery finishes its attempts, then the
    // normaliser drains, then the store closes.
    var services: [any Service] = [
        StoreCloser(store: store), normaliser,
        RetentionService(store: store, retentionDays: configuration.retentionDays, logger: logger),
        MetricsSampler(store: store),
    ]
    if options.delivery {
        services.append(DeliveryEngine(store: store, configuration: configuration, wakeup: wakeup, logger: logger))
    }

    let router = Router(context: RelayRequestContext.self)
    router.get("/healthz") { _, _ in JSONResponse.make(.ok, ["status": "ok"]) }
    router.get("/metrics") { _, _ in
        var buffer: [UInt8] = []
        PrometheusMetricsFactory.defaultRegistry.emit(into: &buffer)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                        body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }
    if options.ingest {
        CallbackController(configuration: configuration, store: store, queue: queue, metrics: metrics).addRoutes(to: router)
        OMSController(configuration: configuration, store: store, wakeup: wakeup).addRoutes(to: router)
    }
    let jobs = ReplayJobs(store: store, wakeup: wakeup, logger: logger)
    AdminController(configuration: configuration, store: store, wakeup: wakeup, jobs: jobs, queue: queue)
        .addRoutes(to: router)
    try OpsController(configuration: configuration, store: store, wakeup: wakeup, jobs: jobs).addRoutes(to: router)
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.server.host, port: configuration.server.port),
                             serverName: "shipment-relay"),
        services: services,
        logger: logger
    )
    app.logger.logLevel = logger.logLevel
    return app
}

/// Closes the store when the service group shuts down (after the server stopped taking requests).
struct StoreCloser: Service {
    let store: any RelayStore

    func run() async throws {
        try? await gracefulShutdown()
        await store.close()
    }
}
