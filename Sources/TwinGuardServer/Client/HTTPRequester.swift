import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A minimal HTTP/1.1 client over NIO, for the command line's calls to a server (its admin API, device
/// enrollment): one request per connection, the whole response collected.
public enum HTTPRequester {
    /// How the connection is secured.
    public enum Security: Sendable {
        case plain
        /// TLS, trusting only `roots` (no host-name check: the roots are this server's own CA), optionally
        /// presenting a client certificate.
        case tls(roots: [NIOSSLCertificate], clientCertificate: NIOSSLCertificate? = nil, clientKey: NIOSSLPrivateKey? = nil)
        /// TLS without verification, only to fetch a CA certificate that is then checked against a pinned hash.
        case tlsUnverified
    }

    public struct Response: Sendable {
        public let status: Int
        public let body: [UInt8]
        public var text: String { String(decoding: self.body, as: UTF8.self) }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Sends one request to `url` (`http://host:port/path` or `https://…`).
    /// - Parameter permit: checks the resolved address before connecting; a reason refuses it (webhooks'
    ///   ``WebhookAddressPolicy``).
    public static func send(
        _ method: HTTPMethod, url: String, headers: [(String, String)] = [], body: [UInt8] = [], security: Security? = nil,
        timeout: TimeAmount = .seconds(30), permit: (@Sendable (SocketAddress) -> String?)? = nil
    ) async throws -> Response {
        let target = try Target(url)
        // Resolved here and connected to by address, so that the address checked is the one used.
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(target.host, port: target.port)
        } catch {
            throw Failure(description: "cannot resolve \(target.host): \(error)")
        }
        if let permit, let refusal = permit(address) {
            throw Failure(description: "refused to connect to \(target.host): \(refusal)")
        }
        // SNI and host-name verification need the name, unless the URL names an IP address.
        let serverHostname = (try? SocketAddress(ipAddress: target.host, port: target.port)) == nil ? target.host : nil
        let chosen = security ?? (target.secure ? .tls(roots: []) : .plain)
        let sslContext: NIOSSLContext?
        switch chosen {
        case .plain:
            sslContext = nil
        case .tls(let roots, let certificate, let key):
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            configuration.trustRoots = roots.isEmpty ? .default : .certificates(roots)
            configuration.certificateVerification = roots.isEmpty ? .fullVerification : .noHostnameVerification
            if let certificate, let key {
                configuration.certificateChain = [.certificate(certificate)]
                configuration.privateKey = .privateKey(key)
            }
            sslContext = try NIOSSLContext(configuration: configuration)
        case .tlsUnverified:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = .none
            sslContext = try NIOSSLContext(configuration: configuration)
        }
        let promise = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Response.self)
        let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverHostname))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(ResponseCollector(promise: promise))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(to: address).get()
        } catch {
            promise.fail(error)
            throw Failure(description: "cannot connect to \(target.host):\(target.port): \(error)")
        }
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: target.path)
        head.headers.add(name: "Host", value: "\(target.host):\(target.port)")
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "Content-Length", value: "\(body.count)")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if !body.isEmpty { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let timeoutTask = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(Failure(description: "no answer from \(target.host):\(target.port) within the timeout"))
            channel.close(promise: nil)
        }
        defer { timeoutTask.cancel() }
        do {
            return try await promise.futureResult.get()
        } catch let error as NIOSSLError {
            throw Failure(description: "TLS with \(target.host):\(target.port) failed: \(error)")
        }
    }

    struct Target {
        let secure: Bool
        let host: String
        let port: Int
        let path: String

        init(_ url: String) throws {
            let secure: Bool
            var rest: Substring
            if url.hasPrefix("https://") {
                secure = true
                rest = url.dropFirst(8)
            } else if url.hasPrefix("http://") {
                secure = false
                rest = url.dropFirst(7)
            } else {
                throw Failure(description: "'\(url)' is not an http:// or https:// URL")
            }
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            let authority = rest[..<slash]
            self.path = slash == rest.endIndex ? "/" : String(rest[slash...])
            rest = authority
            var host: Substring
            var port: Int?
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                host = rest[rest.index(after: rest.startIndex)..<close]
                let after = rest[rest.index(after: close)...]
                if after.hasPrefix(":") { port = Int(after.dropFirst()) }
            } else if let colon = rest.lastIndex(of: ":") {
                host = rest[..<colon]
                port = Int(rest[rest.index(after: colon)...])
            } else {
                host = rest
            }
            guard !host.isEmpty else { throw Failure(description: "'\(url)' names no host") }
            self.secure = secure
            self.host = String(host)
            self.port = port ?? (secure ? 443 : 80)
        }
    }
}

/// Collects one HTTP response and completes the promise with it.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    let promise: EventLoopPromise<HTTPRequester.Response>
    var status = 0
    var body: [UInt8] = []

    init(promise: EventLoopPromise<HTTPRequester.Response>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head): self.status = Int(head.status.code)
        case .body(let buffer): self.body += buffer.readableBytesView
        case .end:
            self.promise.succeed(HTTPRequester.Response(status: self.status, body: self.body))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(HTTPRequester.Failure(description: "the server closed the connection before answering"))
    }
}
