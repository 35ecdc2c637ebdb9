import PacaCore
import Yams

extension NodeReader {
    /// `http:` (docs/configuration.md, "HTTP: dashboard and metrics").
    mutating func http(_ node: Node?) -> DaemonConfig.HTTP? {
        let keys = ["listen", "allow_remote", "tls", "hosts", "session"]
        guard let fields = mapping(node, at: "http", allowed: keys) else { return nil }
        let values = Dictionary(fields, uniquingKeysWith: { first, _ in first })
        guard let listenNode = values["listen"] else {
            report("http.listen", node, "missing; give an address like 127.0.0.1:9180 or a Unix socket path")
            return nil
        }
        guard let text = string(listenNode, at: "http.listen"), let listen = listenAddress(text, listenNode) else { return nil }
        var http = DaemonConfig.HTTP(listen: listen)
        if let flag = values["allow_remote"] {
            if let value = flag.bool { http.allowRemote = value } else { report("http.allow_remote", flag, "expected true or false") }
        }
        if let tls = mapping(values["tls"], at: "http.tls", allowed: ["certificate", "key"]) {
            let parts = Dictionary(tls, uniquingKeysWith: { first, _ in first })
            let certificate = parts["certificate"].flatMap { absolutePath($0, at: "http.tls.certificate") }
            let key = parts["key"].flatMap { absolutePath($0, at: "http.tls.key") }
            for name in ["certificate", "key"] where parts[name] == nil {
                report("http.tls.\(name)", values["tls"], "missing; it is required")
            }
            if let certificate, let key { http.tls = DaemonConfig.HTTP.TLS(certificate: certificate, key: key) }
        }
        if let hosts = values["hosts"] {
            for (index, name) in strings(hosts, at: "http.hosts").enumerated() {
                let valid = name.unicodeScalars.allSatisfy {
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || ".-:[]".unicodeScalars.contains($0)
                }
                if valid {
                    http.hosts.append(name)
                } else {
                    report("http.hosts[\(index)]", hosts, "\"\(name)\" is not a host name with an optional :port")
                }
            }
        }
        if let session = values["session"], let text = string(session, at: "http.session") {
            if let seconds = DurationText.seconds(text), seconds >= 60, seconds <= 30 * 86_400 {
                http.sessionLifetime = seconds
            } else {
                report("http.session", session, "\"\(text)\" is not a duration from 1m to 30d, like 8h")
            }
        }
        if case .unix = listen, http.tls != nil {
            report("http.tls", values["tls"], "TLS is for a TCP address; a Unix socket is reached only on this machine")
        }
        if !listen.isLocal {
            if !http.allowRemote {
                report(
                    "http.listen", listenNode,
                    "\(text) is reachable from other hosts; listen on 127.0.0.1 or a Unix socket, or set allow_remote: true with tls and hosts"
                )
            } else {
                if http.tls == nil { report("http.tls", node, "missing; allow_remote needs TLS (certificate and key)") }
                if http.hosts.isEmpty {
                    report("http.hosts", node, "missing; allow_remote needs the host names browsers use, like backup.lab:9180")
                }
            }
        }
        return http
    }

    /// `HOST:PORT` (IPv4, `[IPv6]`, or `localhost`) or an absolute Unix socket path.
    mutating func listenAddress(_ text: String, _ node: Node) -> DaemonConfig.HTTP.Listen? {
        if text.hasPrefix("/") { return .unix(path: text) }
        var host: Substring
        var portText: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else {
                report("http.listen", node, "\"\(text)\" has no port; write [::1]:9180")
                return nil
            }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                report("http.listen", node, "\"\(text)\" is not HOST:PORT (like 127.0.0.1:9180) or an absolute Unix socket path")
                return nil
            }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        guard let port = Int(portText), (0...65535).contains(port) else {
            report("http.listen", node, "\"\(portText)\" is not a port from 1 to 65535 (or 0: any free port)")
            return nil
        }
        let isIPv4 =
            host.split(separator: ".", omittingEmptySubsequences: false).count == 4
            && host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { UInt8($0) != nil }
        let isIPv6 = host.contains(":") && host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        guard host == "localhost" || isIPv4 || isIPv6 else {
            report("http.listen", node, "\"\(host)\" is not an IP address or localhost; pacad does not look names up to listen")
            return nil
        }
        return .tcp(host: String(host), port: port)
    }
}
