import Logging
import MQTTCodec
import NIOCore
import Synchronization
import TwinGuardCore

extension MQTTConnectionHandler {
    /// Handles the first frame, which must be a valid CONNECT (§3.1).
    func handleFirstFrame(_ frame: MQTTFrame, context: ChannelHandlerContext) {
        guard frame.header >> 4 == 1 else {
            self.fail(.protocolError("the first packet must be CONNECT"), context: context)
            return
        }
        let connect: ConnectPacket
        do {
            guard case .connect(let packet) = try MQTTPacket.decode(frame, version: .v5) else { return }
            connect = packet
        } catch {
            self.refuseConnect(error: error, frame: frame, context: context)
            return
        }
        self.beginConnect(connect, context: context)
    }

    /// Answers a broken CONNECT with a CONNACK in the client's version where one is due, then closes.
    private func refuseConnect(error: MQTTDecodeError, frame: MQTTFrame, context: ChannelHandlerContext) {
        self.broker.statistics.protocolErrors.add(1, ordering: .relaxed)
        self.logViolation {
            $0.info(
                "bad CONNECT, closing connection",
                metadata: ["mqtt.reason": "\(error.reasonCode)", "error": "\(error.message)"])
        }
        let peeked = ConnectPacket.peekProtocolVersion(frame.body)
        if error.reasonCode == .unsupportedProtocolVersion || peeked == .v5 {
            // §3.1.2.2: an unsupported level gets return code 0x01 (3.1.1) or reason 0x84 (5.0).
            let version: ProtocolVersion = peeked == .v5 ? .v5 : .v3_1_1
            var properties = Properties()
            if version == .v5 { properties.reasonString = error.message }
            self.sendAndClose(
                .connack(ConnAckPacket(sessionPresent: false, reasonCode: error.reasonCode, properties: properties)),
                version: version, context: context)
        } else {
            self.phase = .closed
            context.close(promise: nil)
        }
    }

    /// Writes one packet directly (before a session exists) and closes.
    func sendAndClose(_ packet: MQTTPacket, version: ProtocolVersion, context: ChannelHandlerContext) {
        self.phase = .closed
        var buffer = context.channel.allocator.buffer(capacity: 32)
        packet.write(to: &buffer, version: version)
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    private func beginConnect(_ connect: ConnectPacket, context: ChannelHandlerContext) {
        self.cancelConnectTimeout()
        let version = connect.protocolVersion
        if version.hasProperties, let method = connect.properties.authenticationMethod {
            self.refuse(connect, reason: .badAuthenticationMethod, message: "authentication method '\(method)' is not supported", context: context)
            return
        }
        if connect.clientID.isEmpty && !connect.cleanStart && !version.hasProperties {
            // §3.1.3.1: a 3.1.1 client without id must ask for a clean session.
            self.refuse(connect, reason: .clientIdentifierNotValid, message: "empty client id requires a clean session", context: context)
            return
        }
        if let will = connect.will, will.properties.payloadFormatIndicator == 1, !MQTTString.isValidPayload(will.payload) {
            self.refuse(connect, reason: .payloadFormatInvalid, message: "will payload is not UTF-8", context: context)
            return
        }
        self.clientID = connect.clientID.isEmpty ? nil : connect.clientID
        self.phase = .authenticating(pending: [])
        let credentials = ConnectCredentials(
            clientID: connect.clientID, username: connect.username, password: connect.password,
            remoteAddress: context.remoteAddress.map { "\($0)" },
            certificate: self.security?.clientCertificate(in: context.pipeline.syncOperations), encrypted: self.security != nil)
        let authorizer = self.broker.authorizer
        if let result = authorizer.authenticateImmediately(credentials) {
            // Decided without slow work: no hop off the event loop.
            self.finishAuthentication(connect, result: result, context: context)
            return
        }
        context.eventLoop.makeFutureWithTask { await authorizer.authenticate(credentials) }
            .assumeIsolated()
            .whenSuccess { [self] result in
                self.finishAuthentication(connect, result: result, context: context)
            }
    }

    private func finishAuthentication(_ connect: ConnectPacket, result: AuthenticationResult, context: ChannelHandlerContext) {
        guard case .authenticating(let pending) = self.phase else { return }
        switch result {
        case .refused(let failure):
            self.refuse(connect, failure: failure, context: context)
        case .accepted(let principal):
            self.completeConnect(connect, principal: principal, pending: pending, context: context)
        }
    }

    private func refuse(_ connect: ConnectPacket, failure: AuthenticationFailure, context: ChannelHandlerContext) {
        self.broker.statistics.authorizationDenials.add(1, ordering: .relaxed)
        let (reason, message): (ReasonCode, String) =
            switch failure {
            case .anonymousNotAllowed: (.notAuthorized, "anonymous clients are not allowed; send credentials")
            case .badCredentials: (.badUserNameOrPassword, "bad user name or password")
            case .notAuthorized(let why): (.notAuthorized, why)
            }
        self.logViolation {
            $0.notice(
                "connection refused",
                metadata: [
                    "mqtt.client_id": "\(connect.clientID)", "mqtt.reason": "\(reason)", "auth.decision": "deny",
                    "auth.reason": "\(message)",
                ])
        }
        self.refuse(connect, reason: reason, message: message, context: context)
    }

    private func refuse(_ connect: ConnectPacket, reason: ReasonCode, message: String, context: ChannelHandlerContext) {
        var properties = Properties()
        if connect.protocolVersion.hasProperties { properties.reasonString = message }
        self.sendAndClose(
            .connack(ConnAckPacket(sessionPresent: false, reasonCode: reason, properties: properties)),
            version: connect.protocolVersion, context: context)
    }

    private func completeConnect(
        _ connect: ConnectPacket, principal: Principal, pending: [MQTTFrame], context: ChannelHandlerContext
    ) {
        let limits = self.broker.limits
        let version = connect.protocolVersion
        if let will = connect.will,
            case .deny(let why) = self.broker.authorizer.authorize(.publish(topic: will.topic), for: principal)
        {
            self.broker.statistics.authorizationDenials.add(1, ordering: .relaxed)
            self.logViolation { $0.notice("will topic denied", metadata: ["auth.decision": "deny", "auth.reason": "\(why)"]) }
            self.refuse(connect, reason: .notAuthorized, message: "not allowed to publish the will on '\(will.topic)'", context: context)
            return
        }
        var clientID = connect.clientID
        var properties = Properties()
        if clientID.isEmpty {
            clientID = "auto-" + Self.randomIdentifier()
            if version.hasProperties { properties.assignedClientIdentifier = clientID }
        }
        let requestedExpiry: UInt32 =
            version.hasProperties
            ? (connect.properties.sessionExpiryInterval ?? 0) : (connect.cleanStart ? 0 : UInt32.max)
        let expiry = min(requestedExpiry, limits.maxSessionExpirySeconds)
        if version.hasProperties, expiry != requestedExpiry { properties.sessionExpiryInterval = expiry }

        var keepAlive = Int(connect.keepAlive)
        if keepAlive > limits.maxKeepAliveSeconds || (keepAlive == 0 && limits.maxKeepAliveSeconds < 65_535) {
            keepAlive = limits.maxKeepAliveSeconds
            if version.hasProperties { properties.serverKeepAlive = UInt16(keepAlive) }
        }
        if version.hasProperties {
            properties.receiveMaximum = UInt16(clamping: limits.receiveMaximum)
            properties.maximumPacketSize = UInt32(clamping: limits.maxPacketSize)
            properties.topicAliasMaximum = UInt16(clamping: limits.topicAliasMaximum)
            properties.retainAvailable = 1
            properties.wildcardSubscriptionAvailable = 1
            properties.subscriptionIdentifiersAvailable = 1
            properties.sharedSubscriptionAvailable = 1
            if connect.properties.requestResponseInformation == 1 {
                properties.responseInformation = "response/\(clientID)"
            }
        }
        let writer = ConnectionWriter(
            channel: context.channel, version: version, statistics: self.broker.statistics)
        let connection = ActiveConnection(
            writer: writer,
            window: min(Int(connect.properties.receiveMaximum ?? UInt16.max), limits.maxInflight),
            maximumPacketSize: connect.properties.maximumPacketSize.map { Int($0) } ?? Int.max,
            topicAliasMaximum: connect.properties.topicAliasMaximum ?? 0)
        let now = self.broker.clock.nowNanoseconds()
        let will = connect.will.map { will in
            PendingWill(
                message: BrokerMessage(
                    publish: PublishPacket(
                        topic: will.topic, payload: ByteBuffer(bytes: will.payload), qos: will.qos, retain: will.retain,
                        properties: will.properties),
                    topic: will.topic, publisher: nil, now: now),
                delaySeconds: will.properties.willDelayInterval ?? 0)
        }
        let key = SessionKey(tenant: principal.tenant, clientID: clientID)
        let connAckProperties = properties
        let ownerTwin = principal.role == .device ? principal.subject : nil
        guard
            let opened = self.broker.openSession(
                key: key, cleanStart: connect.cleanStart, connection: connection, version: version, expiryInterval: expiry,
                will: will, now: now, ownerTwin: ownerTwin, owner: principal.ownerKey,
                announce: { sessionPresent in
                    writer.send(
                        .connack(ConnAckPacket(sessionPresent: sessionPresent, reasonCode: .success, properties: connAckProperties)))
                })
        else {
            self.broker.statistics.authorizationDenials.add(1, ordering: .relaxed)
            self.logViolation { $0.notice(
                "client id belongs to another identity",
                metadata: ["mqtt.client_id": "\(clientID)", "auth.decision": "deny", "auth.principal": "\(principal)"]) }
            self.broker.authorizer.noteRefusal(
                principal, action: "mqtt.connect", target: clientID,
                reason: "client id '\(clientID)' belongs to a session of another identity")
            self.refuse(connect, reason: .notAuthorized, message: "client id '\(clientID)' belongs to another identity", context: context)
            return
        }
        self.clientID = clientID
        if self.debugLogging {
            self.logger.debug(
                "client connected",
                metadata: [
                    "mqtt.protocol": "\(version.rawValue)", "mqtt.session_present": "\(opened.sessionPresent)",
                    "auth.principal": "\(principal)",
                ])
        }
        self.broker.statistics.clientsConnected.add(1, ordering: .relaxed)
        self.broker.statistics.clientsTotal.add(1, ordering: .relaxed)
        if keepAlive > 0 {
            self.startKeepAlive(seconds: keepAlive, context: context)
        }
        writer.channelWritable.store(context.channel.isWritable, ordering: .relaxed)
        self.phase = .connected(
            ConnectedClient(
                principal: principal, session: opened.session, writer: writer, version: version,
                sendsProblemInformation: connect.properties.requestProblemInformation != 0,
                publishRules: InboundPublishRules(limits: limits)))
        for frame in pending {
            guard case .connected(let client) = self.phase else { break }
            do {
                self.handle(try MQTTPacket.decode(frame, version: client.version), context: context)
            } catch {
                self.fail(error, context: context)
            }
        }
    }

    static func randomIdentifier() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(generator.next() % 16, radix: 16) }.joined()
    }
}
