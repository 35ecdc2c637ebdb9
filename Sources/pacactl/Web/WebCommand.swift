import ArgumentParser
import PacaProtocol

struct WebCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "web", abstract: "The dashboard pacad serves when its configuration has http:.",
        subcommands: [WebURLCommand.self])
}

struct WebURLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "url", abstract: "Print a one-time address that signs you in to the dashboard, with your role.",
        discussion: """
            Open the address within two minutes; it works once. The browser then keeps a session \
            cookie (http.session, 8 hours by default). Whoever opens the address first is signed \
            in as you: do not paste it where others can read it.
            """)

    @OptionGroup var daemon: DaemonOptions

    func run() throws {
        let reply = try daemon.call(Methods.webLogin)
        if daemon.json { return daemon.printResult(reply) }
        print(reply.result.url)
        if let socket = reply.result.socket {
            print("(pacad serves HTTP on the Unix socket \(socket); a proxy must bring it to the browser)")
        }
    }
}
