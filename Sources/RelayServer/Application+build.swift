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

    /// The configuration file, for reloads on `SIGHUP` and `POST /admin/v1/config/reload` (nil: no reloads).
    public var configPath: String?

    public init(delivery: Bool = true, ingest: Bool = true, normaliseDelay: Duration = .zero,
                configPath: String? = nil) {
        self.delivery = delivery
        self.ingest = ingest
        self.normaliseDelay = normaliseDelay
        self.configPath = configPath
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
    // The configuration in force: a reload replaces it for new requests and new attempts.
    let live = LiveConfiguration(configuration)
    let reloader = options.configPath.map { ConfigReloader(path: $0, live: live, logger: logger) }
    let queue = NormalisationQueue()
    // What this instance handled, minute by minute, for the /ops overview charts.
    let history = OverviewHistory(now: { WallClock.now().epochMilliseconds })
    let metrics = RelayMetrics(history: history)
    let notifier = OpsNotifier(configuration: configuration.opsWebhook, logger: logger)
    let wakeup = DeliveryWakeup()
    // Another instance on a shared store committed deliveries: look for due ones now rather than at the next poll.
    store.onDeliveriesChanged { wakeup.signal() }
    let engine = options.delivery
        ? DeliveryEngine(store: store, live: live, wakeup: wakeup, logger: logger, notifier: notifier,
                         onAttempt: { endpoint, outcome in history.attempt(endpoint: endpoint, outcome: outcome) })
        : nil
    // The engine sends the new deliveries a normalisation commit leased for it (PostgreSQL), without a claim.
    let normaliser = NormalisationService(store: store, queue: queue, live: live, logger: logger,
                                          delay: options.normaliseDelay, taker: engine) { summary in
        metrics.normalised(notifications: summary.notifications, deliveries: summary.deliveries,
                           leased: summary.leased.count)
        for (outcome, count) in summary.outcomes { metrics.events(outcome, count: count) }
    }
    // Graceful shutdown runs in reverse order: the server stops first, then delivery finishes its attempts, then the
    // normaliser drains, then the store closes. A service that fails stops the relay (logged at error level; the
    // process exits non-zero) and /readyz answers 503 while any is not running.
    let limits = configuration.server.limits
    let health = ServiceHealth(grace: .milliseconds(Int64(limits.shutdownGraceSeconds * 1000)))
    var services: [any Service] = [
        Supervised("store", StoreCloser(store: store), health: health, logger: logger),
        Supervised("normaliser", normaliser, health: health, logger: logger),
        Supervised("retention", RetentionService(store: store, retentionDays: configuration.retentionDays,
                                                 logger: logger), health: health, logger: logger),
        Supervised("metrics", MetricsSampler(store: store, live: live, history: history), health: health,
                   logger: logger),
        // Before delivery in this list, so it stops after it and sends what the last attempts produced.
        Supervised("ops webhooks", notifier, health: health, logger: logger),
    ]
    if let engine {
        services.append(Supervised("delivery", engine, health: health, logger: logger))
    }

    // The public router takes the aggregators' and the OMS's traffic. Admin API, /ops and /metrics live on it too,
    // unless `server.admin_listen` gives them a listener of their own (then the public port answers 404 for them).
    let router = Router(context: RelayRequestContext.self)
    let adminRouter = configuration.server.adminListen == nil ? router : Router(context: RelayRequestContext.self)
    // HTTP server metrics (requests by route pattern, method and status; durations; in flight): bounded labels.
    router.middlewares.add(RequestMetricsMiddleware())
    if adminRouter !== router { adminRouter.middlewares.add(RequestMetricsMiddleware()) }
    // Liveness: the process serves HTTP. Readiness: every service runs and storage answers within 2 s.
    addHealthRoutes(to: router, store: store, health: health)
    if adminRouter !== router { addHealthRoutes(to: adminRouter, store: store, health: health) }
    adminRouter.get("/metrics") { _, _ in
        var buffer: [UInt8] = []
        PrometheusMetricsFactory.defaultRegistry.emit(into: &buffer)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                        body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
    }
    if options.ingest {
        CallbackController(live: live, store: store, queue: queue, metrics: metrics).addRoutes(to: router)
        OMSController(live: live, store: store).addRoutes(to: router)
    }
    // One set of ops operations behind both the admin API and /ops (audit entry, log line and ops webhook included).
    let opsService = OpsService(live: live, store: store,
                                jobs: ReplayJobs(store: store, logger: logger), queue: queue,
                                notifier: notifier, logger: logger)
    AdminController(service: opsService, reloader: reloader).addRoutes(to: adminRouter)
    try OpsController(service: opsService, history: history, reloader: reloader).addRoutes(to: adminRouter)
    if let reloader { services.append(Supervised("config reload", reloader, health: health, logger: logger)) }
    if let admin = configuration.server.adminListen {
        var adminApp = Application(
            router: adminRouter,
            server: GuardedHTTP1Channel.builder(limits: limits),
            configuration: .init(address: .hostname(admin.host, port: admin.port), serverName: "shipment-relay-admin",
                                 availableConnectionsDelegate: .maximum(limits.maxConnections, logger: logger)),
            logger: logger)
        adminApp.logger.logLevel = logger.logLevel
        services.append(Supervised("admin listener", adminApp, health: health, logger: logger))
    }
    var app = Application(
        router: router,
        server: GuardedHTTP1Channel.builder(limits: limits),
        configuration: .init(address: .hostname(configuration.server.host, port: configuration.server.port),
                             serverName: "shipment-relay",
                             availableConnectionsDelegate: .maximum(limits.maxConnections, logger: logger)),
        services: services,
        logger: logger
    )
    app.logger.logLevel = logger.logLevel
    return app
}

/// `GET /healthz`: the process serves (liveness). `GET /readyz`: every service runs and storage answers (readiness).
func addHealthRoutes(to router: Router<RelayRequestContext>, store: any DeliveryQueue, health: ServiceHealth) {
    router.get("/healthz") { _, _ in JSONResponse.make(.ok, ["status": "ok"]) }
    router.get("/readyz") { _, _ in await Readiness.check(store: store, health: health) }
}

/// Closes the store when the service group shuts down (after the server stopped taking requests).
struct StoreCloser: Service {
    let store: any ClosableStore

    func run() async throws {
        try? await gracefulShutdown()
        await store.close()
    }
}
