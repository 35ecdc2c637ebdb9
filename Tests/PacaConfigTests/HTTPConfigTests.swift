import PacaConfig
import Testing

/// `http:` and a set's `rpo`.
@Suite struct HTTPConfigTests {
    static func yaml(_ http: String, rpo: String? = nil) -> String {
        """
        state_dir: /var/lib/paca
        socket: /run/paca/pacad.sock
        targets:
          local: {type: directory, path: /var/backups/paca}
        sets:
          training:
            paths: [/srv/ml]
        \(rpo.map { "    rpo: \($0)" } ?? "")
        \(http)
        """
    }

    static func problems(_ http: String, rpo: String? = nil) -> [String] {
        do {
            _ = try ConfigLoader.load(yaml: yaml(http, rpo: rpo))
            return []
        } catch {
            return error.problems.map(\.description)
        }
    }

    @Test func loopbackAndUnixSocketsAreTakenAsTheyAre() throws {
        let tcp = try #require(try ConfigLoader.load(yaml: Self.yaml("http: {listen: \"127.0.0.1:9180\"}")).http)
        #expect(tcp.listen == .tcp(host: "127.0.0.1", port: 9180) && tcp.sessionLifetime == 8 * 3600 && tcp.scheme == "http")
        #expect(tcp.acceptedHosts() == ["127.0.0.1:9180", "localhost:9180", "[::1]:9180"])
        #expect(tcp.acceptedHosts(boundPort: 40000).contains("127.0.0.1:40000"))
        let v6 = try #require(try ConfigLoader.load(yaml: Self.yaml("http: {listen: \"[::1]:9180\", session: 1h}")).http)
        #expect(v6.listen == .tcp(host: "::1", port: 9180) && v6.listen.description == "[::1]:9180" && v6.sessionLifetime == 3600)
        let socket = try #require(try ConfigLoader.load(yaml: Self.yaml("http: {listen: /run/paca/http.sock}")).http)
        #expect(socket.listen == .unix(path: "/run/paca/http.sock") && socket.acceptedHosts().isEmpty)
        #expect(try ConfigLoader.load(yaml: Self.yaml("")).http == nil, "off unless configured")
    }

    @Test func anAddressOthersReachNeedsAllowRemoteTLSAndHostNames() throws {
        #expect(Self.problems("http: {listen: \"0.0.0.0:9180\"}").contains { $0.contains("reachable from other hosts") })
        let half = Self.problems("http: {listen: \"0.0.0.0:9180\", allow_remote: true}")
        #expect(half.contains { $0.contains("allow_remote needs TLS") } && half.contains { $0.contains("needs the host names") })
        let full = try #require(
            try ConfigLoader.load(
                yaml: Self.yaml(
                    "http: {listen: \"0.0.0.0:9443\", allow_remote: true, hosts: [\"backup.lab:9443\"], tls: {certificate: /etc/paca/c.pem, key: /etc/paca/k.pem}}"
                )
            ).http)
        #expect(full.scheme == "https" && full.acceptedHosts().contains("backup.lab:9443"))
    }

    @Test func badValuesAreNamed() {
        #expect(Self.problems("http: {listen: \"gpu01:9180\"}").contains { $0.contains("not an IP address or localhost") })
        #expect(Self.problems("http: {listen: \"127.0.0.1:99999\"}").contains { $0.contains("not a port") })
        #expect(Self.problems("http: {listen: \"127.0.0.1\"}").contains { $0.contains("not HOST:PORT") })
        #expect(Self.problems("http: {listen: relative.sock}").contains { $0.contains("not HOST:PORT") })
        #expect(Self.problems("http: {port: 9180}").contains { $0.contains("http.port") && $0.contains("unknown key") })
        #expect(Self.problems("http: {listen: \"127.0.0.1:9180\", session: 10s}").contains { $0.contains("http.session") })
        #expect(
            Self.problems("http: {listen: /run/h.sock, tls: {certificate: /c, key: /k}}").contains {
                $0.contains("TLS is for a TCP address")
            })
    }

    @Test func rpoIsADuration() throws {
        #expect(try ConfigLoader.load(yaml: Self.yaml("", rpo: "6h")).sets[0].rpo == 21600)
        #expect(try ConfigLoader.load(yaml: Self.yaml("")).sets[0].rpo == nil)
        #expect(Self.problems("", rpo: "30s").contains { $0.contains("sets.training.rpo") && $0.contains("1m or more") })
        #expect(Self.problems("", rpo: "soon").contains { $0.contains("sets.training.rpo") })
    }
}
