import PacaCore
import PacaProtocol
import Testing

/// A filter travels in its structured form or as the text of `pacactl --where`; both decode to
/// the same filter, and a bad text is refused naming the column.
@Suite struct FilterWireTests {
    @Test func theTextFormDecodesToWhatTheStructuredFormDoes() throws {
        let text = #"set = "training" and bytes_in > 1GB and metrics.eval_loss < 0.4"#
        let fromText = try Filter(wire: .string(text))
        let fromStructure = try Filter(wire: fromText.wire)
        #expect(fromText == fromStructure)
        #expect(fromText == (try QueryText.parse(text)))
    }

    @Test func aMistakeInTheTextNamesItsColumn() {
        #expect {
            try Filter(wire: .string("bytes_in >"))
        } throws: { error in
            guard let problem = error as? WireProblem else { return false }
            return problem.description == "column 11: expected a value"
        }
    }

    @Test func aTextLongerThanTheLimitIsRefusedWithoutBeingParsed() {
        let long = String(repeating: "a = 1 or ", count: 1000) + "a = 1"
        #expect {
            try Filter(wire: .string(long))
        } throws: { error in
            (error as? WireProblem)?.description.contains("at most \(Filter.maxTextLength) characters") == true
        }
    }
}
