import PacaProtocol
import Testing

/// Golden tests: these bytes are the wire contract of protocol version 1 (docs/protocol.md).
@Suite struct EnvelopeTests {
    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    @Test func decodesARequestWithParams() throws {
        let request = try RPCRequest.decode(
            Array(#"{"jsonrpc":"2.0","id":7,"method":"backup.create","params":{"set":"training","progress":true}}"#.utf8)
        ).get()
        #expect(request.id == .number(7))
        #expect(request.method == "backup.create")
        #expect(request.params == ["set": .string("training"), "progress": .bool(true)])
    }

    @Test func requestWithoutParamsOrIdIsANotificationWithEmptyParams() throws {
        let request = try RPCRequest.decode(Array(#"{"jsonrpc":"2.0","method":"daemon.status"}"#.utf8)).get()
        #expect(request.id == nil)
        #expect(request.params.isEmpty)
    }

    struct BadCase: Sendable, CustomTestStringConvertible {
        var payload: String
        var code: RPCErrorCode
        var id: RPCID
        var testDescription: String { payload }
    }

    @Test(arguments: [
        BadCase(payload: "not json", code: .parseError, id: .null),
        BadCase(payload: "{\"jsonrpc\":\"2.0\",", code: .parseError, id: .null),
        BadCase(payload: "[1,2,3]", code: .invalidRequest, id: .null),
        BadCase(payload: "42", code: .invalidRequest, id: .null),
        BadCase(payload: #"{"jsonrpc":"1.0","id":3,"method":"x"}"#, code: .invalidRequest, id: .number(3)),
        BadCase(payload: #"{"jsonrpc":"2.0","id":"a","method":""}"#, code: .invalidRequest, id: .string("a")),
        BadCase(payload: #"{"jsonrpc":"2.0","id":4,"method":17}"#, code: .invalidRequest, id: .number(4)),
        BadCase(payload: #"{"jsonrpc":"2.0","id":{"x":1},"method":"daemon.status"}"#, code: .invalidRequest, id: .null),
        BadCase(payload: #"{"jsonrpc":"2.0","id":5,"method":"backup.list","params":[1]}"#, code: .invalidParams, id: .number(5)),
    ])
    func malformedRequestsGetTheMatchingError(_ c: BadCase) {
        switch RPCRequest.decode(Array(c.payload.utf8)) {
        case .success(let request): Issue.record("accepted \(request)")
        case .failure(let failure):
            #expect(failure.error.code == c.code.rawValue)
            #expect(failure.id == c.id)
        }
    }

    @Test func encodesRepliesWithSortedKeys() {
        #expect(
            Self.text(RPCResponse.result(id: .number(7), .object(["backup_id": .string("20261127T020000Z-training-3f9c")])).encoded)
                == #"{"id":7,"jsonrpc":"2.0","result":{"backup_id":"20261127T020000Z-training-3f9c"}}"#)
        #expect(
            Self.text(
                RPCResponse.error(id: .string("x"), RPCError(.notFound, "no backup 42", data: .object(["id": .string("42")]))).encoded)
                == #"{"error":{"code":-32001,"data":{"id":"42"},"message":"no backup 42"},"id":"x","jsonrpc":"2.0"}"#)
        #expect(
            Self.text(RPCResponse.progress(requestID: .number(7), .object(["done": .int(41), "total": .int(100)])).encoded)
                == #"{"jsonrpc":"2.0","method":"progress","params":{"done":41,"id":7,"total":100}}"#)
    }

    @Test func clientDecodesWhatTheServerEncodes() throws {
        let messages: [RPCResponse] = [
            .result(id: .number(1), .object(["ok": .bool(true), "ratio": .double(0.75)])),
            .error(id: .number(2), RPCError(.busy, "set training is already being backed up")),
            .progress(requestID: .number(3), .object(["done": .int(5)])),
        ]
        for message in messages {
            #expect(try RPCResponse.decode(message.encoded) == message)
        }
    }

    @Test func requestsRoundTrip() throws {
        let request = RPCRequest(
            id: .number(9), method: "restore.run", params: ["id": .string("b"), "include": .array([.string("*.yaml")])])
        #expect(Self.text(request.encoded) == #"{"id":9,"jsonrpc":"2.0","method":"restore.run","params":{"id":"b","include":["*.yaml"]}}"#)
        #expect(try RPCRequest.decode(request.encoded).get() == request)
    }

    @Test func errorCodesAreTheDocumentedOnes() {
        #expect(
            RPCErrorCode.allCases.map(\.rawValue) == [
                -32700, -32600, -32601, -32602, -32603, -32001, -32002, -32003, -32004, -32005, -32006, -32007,
            ])
    }
}
