extension RelayConfiguration {
    static func isValidClientId(_ id: String) -> Bool {
        guard let first = id.utf8.first, isLowerAlnum(first), id.utf8.count <= 64 else { return false }
        return id.utf8.allSatisfy { isLowerAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
    }

    private static func isLowerAlnum(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }

    static func decodeClient(_ value: JSONValue, at path: String, _ reader: inout ConfigReader) -> Client? {
        guard let object = reader.object(value, at: path, allowed: [
            "id", "api_token", "metadata", "aggregators", "endpoints",
        ]) else { return nil }
        guard let id = reader.string(object["id"], at: "\(path).id", required: true) else { return nil }
        if !isValidClientId(id) {
            reader.fail("\(path).id", "must be lower-case letters, digits, '-' or '_' (starting with a letter or digit)")
        }
        var client = Client(id: id)
        client.apiToken = reader.string(object["api_token"], at: "\(path).api_token")
        client.metadata = reader.stringMap(object["metadata"], at: "\(path).metadata")
        let aggregatorsPath = "\(path).aggregators"
        if let aggregators = reader.object(object["aggregators"], at: aggregatorsPath,
                                           allowed: Set(Aggregator.allCases.map(\.rawValue))) {
            decodeAggregators(aggregators, at: aggregatorsPath, into: &client, &reader)
            if aggregators.isEmpty {
                reader.fail(aggregatorsPath, "configure at least one aggregator account")
            }
        } else {
            reader.fail(aggregatorsPath, "is required: configure at least one aggregator account")
        }
        let endpointsPath = "\(path).endpoints"
        if let endpoints = reader.object(object["endpoints"], at: endpointsPath,
                                         allowed: ["notification", "return_ack", "order_posting", "extra"]) {
            for kind in [Endpoint.Kind.notification, .returnAck, .orderPosting] {
                guard let item = endpoints[kind.rawValue], !item.isNull else { continue }
                if let endpoint = decodeEndpoint(item, id: "\(id)/\(kind.rawValue)", kind: kind,
                                                 at: "\(endpointsPath).\(kind.rawValue)", &reader) {
                    client.endpoints.append(endpoint)
                }
            }
            if endpoints["notification"] == nil || endpoints["notification"]?.isNull == true {
                reader.fail("\(endpointsPath).notification", "is required: where notifications are delivered")
            }
            if let extra = endpoints["extra"] {
                var names = Set<String>()
                for (index, item) in (extra.array ?? []).enumerated() {
                    let itemPath = "\(endpointsPath).extra[\(index)]"
                    guard let name = reader.string(item["name"], at: "\(itemPath).name", required: true) else {
                        continue
                    }
                    if !names.insert(name).inserted { reader.fail("\(itemPath).name", "duplicate name \(name)") }
                    if let endpoint = decodeEndpoint(item, id: "\(id)/extra/\(name)", kind: .extra, at: itemPath,
                                                     &reader) {
                        client.endpoints.append(endpoint)
                    }
                }
                if extra.array == nil { reader.fail("\(endpointsPath).extra", "must be a list") }
            }
        } else {
            reader.fail(endpointsPath, "is required")
        }
        return client
    }

    private static func decodeAggregators(_ aggregators: JSONObject, at path: String, into client: inout Client,
                                          _ reader: inout ConfigReader) {
        if let object = reader.object(aggregators["clickpost"], at: "\(path).clickpost", allowed: [
            "webhook_key", "previous_webhook_key", "authorization", "previous_authorization",
        ]) {
            let credentials = ClickpostCredentials(
                webhookKeys: reader.secrets(object, "webhook_key", previous: "previous_webhook_key",
                                            at: "\(path).clickpost"),
                authorizations: reader.secrets(object, "authorization", previous: "previous_authorization",
                                               at: "\(path).clickpost"))
            if credentials.webhookKeys.isEmpty, credentials.authorizations.isEmpty {
                reader.fail("\(path).clickpost", "needs webhook_key or authorization")
            }
            client.clickpost = credentials
        }
        if let object = reader.object(aggregators["shiprocket"], at: "\(path).shiprocket",
                                      allowed: ["token", "previous_token"]) {
            let tokens = reader.secrets(object, "token", previous: "previous_token", at: "\(path).shiprocket")
            if tokens.isEmpty { reader.fail("\(path).shiprocket.token", "is required (the x-api-key value)") }
            client.shiprocket = ShiprocketCredentials(tokens: tokens)
        }
        if let object = reader.object(aggregators["shipway"], at: "\(path).shipway", allowed: [
            "email", "licence_key", "previous_licence_key", "path_token", "previous_path_token",
        ]) {
            let credentials = ShipwayCredentials(
                email: reader.string(object["email"], at: "\(path).shipway.email"),
                licenceKeys: reader.secrets(object, "licence_key", previous: "previous_licence_key",
                                            at: "\(path).shipway"),
                pathTokens: reader.secrets(object, "path_token", previous: "previous_path_token",
                                           at: "\(path).shipway"))
            if !credentials.licenceKeys.isEmpty, credentials.email == nil {
                reader.fail("\(path).shipway.email", "is required with licence_key (hash = md5(email:licence_key))")
            }
            if credentials.licenceKeys.isEmpty, credentials.pathTokens.isEmpty {
                reader.fail("\(path).shipway", "needs email + licence_key, or path_token")
            }
            client.shipway = credentials
        }
        if let object = reader.object(aggregators["eshipz"], at: "\(path).eshipz", allowed: [
            "header", "token", "previous_token", "basic_password", "previous_basic_password",
        ]) {
            let credentials = EshipzCredentials(
                header: reader.string(object["header"], at: "\(path).eshipz.header"),
                tokens: reader.secrets(object, "token", previous: "previous_token", at: "\(path).eshipz"),
                basicPasswords: reader.secrets(object, "basic_password", previous: "previous_basic_password",
                                               at: "\(path).eshipz"))
            if !credentials.tokens.isEmpty, credentials.header == nil {
                reader.fail("\(path).eshipz.header", "is required with token (the header name eShipz sends)")
            }
            if let header = credentials.header, !ConfigReader.isHeaderName(header) {
                reader.fail("\(path).eshipz.header", "is not an HTTP header name (letters, digits and - only, no spaces)")
            }
            if credentials.tokens.isEmpty, credentials.basicPasswords.isEmpty {
                reader.fail("\(path).eshipz", "needs header + token, or basic_password")
            }
            client.eshipz = credentials
        }
    }

    private static func decodeEndpoint(_ value: JSONValue, id: String, kind: Endpoint.Kind, at path: String,
                                       _ reader: inout ConfigReader) -> Endpoint? {
        var allowed: Set<String> = [
            "url", "signing_secret", "previous_signing_secret", "headers", "magento_admin_token",
            "timeout_seconds", "retry_schedule_seconds", "max_in_flight",
        ]
        if kind == .extra { allowed.formUnion(["name", "types"]) }
        guard let object = reader.object(value, at: path, allowed: allowed) else { return nil }
        guard let url = reader.httpURL(object["url"], at: "\(path).url", required: true) else { return nil }
        var endpoint = Endpoint(id: id, kind: kind, url: url)
        endpoint.signingSecrets = reader.secrets(object, "signing_secret", previous: "previous_signing_secret",
                                                 at: path)
        if endpoint.signingSecrets.isEmpty {
            reader.fail("\(path).signing_secret", "is required (whsec_ followed by base64, e.g. from `openssl rand -base64 32`)")
        }
        for secret in endpoint.signingSecrets where WebhookSigner.key(fromSecret: secret) == nil {
            reader.fail("\(path).signing_secret", "must be whsec_ followed by base64 of at least 16 bytes")
        }
        endpoint.headers = reader.stringMap(object["headers"], at: "\(path).headers").map { ($0.key, $0.value) }
        for (name, _) in endpoint.headers where !ConfigReader.isHeaderName(name) {
            reader.fail("\(path).headers.\(name)", "is not an HTTP header name")
        }
        if let token = reader.object(object["magento_admin_token"], at: "\(path).magento_admin_token",
                                     allowed: ["store_url", "username", "password"]) {
            let tokenPath = "\(path).magento_admin_token"
            let storeURL = reader.httpURL(token["store_url"], at: "\(tokenPath).store_url", required: true)
            let username = reader.string(token["username"], at: "\(tokenPath).username", required: true)
            let password = reader.string(token["password"], at: "\(tokenPath).password", required: true)
            if let storeURL, let username, let password {
                endpoint.magentoAdminToken = .init(storeURL: storeURL, username: username, password: password)
            }
        }
        if let timeout = reader.number(object["timeout_seconds"], at: "\(path).timeout_seconds", atMost: 3_600) {
            if timeout <= 0 { reader.fail("\(path).timeout_seconds", "must be greater than 0") }
            endpoint.timeoutSeconds = timeout
        }
        endpoint.retryScheduleSeconds = decodeSchedule(object["retry_schedule_seconds"],
                                                       at: "\(path).retry_schedule_seconds", &reader)
        if let cap = reader.number(object["max_in_flight"], at: "\(path).max_in_flight", atMost: 10_000) {
            if cap < 1 { reader.fail("\(path).max_in_flight", "must be at least 1") }
            endpoint.maxInFlight = max(1, Int(cap))
        }
        if let types = object["types"] {
            if types.array == nil { reader.fail("\(path).types", "must be a list of notification types") }
            var list: [NotificationType] = []
            for (index, item) in (types.array ?? []).enumerated() {
                guard let name = reader.string(item, at: "\(path).types[\(index)]") else { continue }
                let type = NotificationType(name: name)
                if case .unknown = type {
                    reader.fail("\(path).types[\(index)]", "unknown notification type \(name)")
                }
                list.append(type)
            }
            endpoint.types = list
        }
        return endpoint
    }
}
