import PacaCore
import Testing

@Suite struct PathPatternTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var pattern: String
        var path: String
        var isDirectory = false
        var matches: Bool
        var testDescription: String { "\(pattern) ~ \(path)\(isDirectory ? "/" : "") = \(matches)" }
    }

    @Test(arguments: [
        Case(pattern: "*.tmp", path: "a.tmp", matches: true),
        Case(pattern: "*.tmp", path: "runs/x/a.tmp", matches: true),
        Case(pattern: "*.tmp", path: "runs/x/a.tmpl", matches: false),
        Case(pattern: "__pycache__/", path: "src/__pycache__", isDirectory: true, matches: true),
        Case(pattern: "__pycache__/", path: "src/__pycache__", isDirectory: false, matches: false),
        Case(pattern: "data/raw/*", path: "data/raw/x.bin", matches: true),
        Case(pattern: "data/raw/*", path: "data/raw/sub/x.bin", matches: false),
        Case(pattern: "data/raw/*", path: "other/data/raw/x.bin", matches: false),
        Case(pattern: "/data", path: "data", isDirectory: true, matches: true),
        Case(pattern: "/data", path: "x/data", isDirectory: true, matches: false),
        Case(pattern: "runs/**/events.*", path: "runs/a/b/c/events.out", matches: true),
        Case(pattern: "runs/**/events.*", path: "runs/events.out", matches: true),
        Case(pattern: "**/cache", path: "a/b/cache", isDirectory: true, matches: true),
        Case(pattern: "?.txt", path: "a.txt", matches: true),
        Case(pattern: "?.txt", path: "ab.txt", matches: false),
        Case(pattern: "?.txt", path: "한.txt", matches: true),
        Case(pattern: "파일*", path: "dir/파일-1.txt", matches: true),
        Case(pattern: "[abc].py", path: "b.py", matches: true),
        Case(pattern: "[!abc].py", path: "b.py", matches: false),
        Case(pattern: "[a-c]x", path: "cx", matches: true),
        Case(pattern: "[a-c]x", path: "dx", matches: false),
        Case(pattern: "\\*", path: "*", matches: true),
        Case(pattern: "\\*", path: "a", matches: false),
        Case(pattern: "*a*b*c", path: "xaxxbxxxc", matches: true),
        Case(pattern: "*a*b*c", path: "xaxxbxxxcx", matches: false),
        Case(pattern: "ckpt-*.pt", path: "ckpt-.pt", matches: true),
    ])
    func matchesLikeGitignore(_ c: Case) throws {
        let pattern = try PathPattern(c.pattern)
        #expect(pattern.matches(path: c.path, isDirectory: c.isDirectory) == c.matches)
    }

    @Test func ancestorMatchSelectsEverythingBelowADirectory() throws {
        let pattern = try PathPattern("runs/vit")
        #expect(pattern.matchesSelfOrAncestor(path: "runs/vit/checkpoints/model.pt", isDirectory: false))
        #expect(!pattern.matchesSelfOrAncestor(path: "runs/vit2/model.pt", isDirectory: false))
        #expect(try PathPattern("*.yaml").matchesSelfOrAncestor(path: "configs/a/train.yaml", isDirectory: false))
    }

    @Test(arguments: ["", "/", "//", "[abc", "a/[b"])
    func rejectsMalformedPatterns(_ text: String) {
        #expect(throws: PathPatternError.self) { try PathPattern(text) }
    }

    @Test func errorNamesThePatternAndTheProblem() {
        do {
            _ = try PathPattern("data/[raw")
            Issue.record("expected an error")
        } catch {
            #expect(error.description == "pattern \"data/[raw\": a '[' is not closed by ']'")
        }
    }

    /// Twenty `**` against a forty-name path that does not match: backtracking tried about 40^20
    /// ways and never returned (the time limit fails it); the table answers at once.
    @Test(.timeLimit(.minutes(1))) func manyDoubleStarsDoNotBacktrackExponentially() throws {
        let pattern = try PathPattern(Array(repeating: "**", count: 20).joined(separator: "/") + "/x/y")
        let path = (0..<40).map { "d\($0)" }.joined(separator: "/")
        #expect(!pattern.matches(path: path, isDirectory: false))
        #expect(pattern.matches(path: path + "/x/y", isDirectory: false))
        #expect(try PathPattern("a/**/b/**/c").matches(path: "a/b/c", isDirectory: false))
        #expect(try PathPattern("a/**/b/**/c").matches(path: "a/1/2/b/3/c", isDirectory: false))
        #expect(try !PathPattern("a/**/b/**/c").matches(path: "a/1/2/b/3/c/d", isDirectory: false))
    }
}
