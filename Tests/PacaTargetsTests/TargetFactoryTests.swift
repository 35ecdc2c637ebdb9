import Foundation
import PacaConfig
import PacaTestSupport
import Testing

@testable import PacaTargets

@Suite struct TargetFactoryTests {
    func s3(_ file: String? = nil, profile: String = "default") -> DaemonConfig.Target {
        DaemonConfig.Target(
            name: "remote", kind: .s3(.init(endpoint: "http://127.0.0.1:9", bucket: "bucket", credentialsFile: file, profile: profile)))
    }

    @Test func credentialsComeFromTheEnvironmentOrAFile() throws {
        let ws = TemporaryFolder()
        let missing = TargetFactory(environment: [:], hostName: "h").make(s3())
        #expect((try? missing.get()) == nil)
        if case .failure(let error) = missing { #expect(error.message.contains("AWS_ACCESS_KEY_ID"), "\(error)") }
        let fromEnvironment = TargetFactory(environment: ["AWS_ACCESS_KEY_ID": "A", "AWS_SECRET_ACCESS_KEY": "S"], hostName: "gpu 01/x")
        let target = try #require(try fromEnvironment.make(s3()).get() as? S3Target)
        #expect(target.prefix == "gpu-01-x")
        #expect(target.display == "http://127.0.0.1:9/bucket/gpu-01-x")

        ws.write(
            "creds",
            Array("# comment\n[default]\naws_access_key_id = AKID\n[backup]\n aws_access_key_id=K2 \naws_secret_access_key = s2\n".utf8))
        chmod(ws.sub("creds"), 0o600)
        let factory = TargetFactory(environment: [:], hostName: "h")
        #expect(try factory.make(s3(ws.sub("creds"), profile: "backup")).get() is S3Target)
        if case .failure(let error) = factory.make(s3(ws.sub("creds"))) {
            #expect(error.message.contains("no profile [default] with aws_access_key_id and aws_secret_access_key"), "\(error)")
        } else {
            Issue.record("a profile without a secret was accepted")
        }
        // Readable or writable by the group or others, owned by another user, or a symlink: refused,
        // and no message shows the secret.
        for mode in [0o644, 0o640, 0o620, 0o606] as [mode_t] {
            chmod(ws.sub("creds"), mode)
            if case .failure(let error) = factory.make(s3(ws.sub("creds"), profile: "backup")) {
                #expect(error.message.contains("its group and others may neither read nor write it"), "\(error)")
                #expect(!error.message.contains("s2"))
            } else {
                Issue.record("a credentials file with mode \(String(mode, radix: 8)) was accepted")
            }
        }
        chmod(ws.sub("creds"), 0o600)
        if getuid() == 0 {
            chown(ws.sub("creds"), 65534, 65534)
            if case .failure(let error) = factory.make(s3(ws.sub("creds"), profile: "backup")) {
                #expect(error.message.contains("belongs to uid 65534"), "\(error)")
            } else {
                Issue.record("a credentials file of another user was accepted")
            }
            chown(ws.sub("creds"), 0, 0)
        }
        symlink(ws.sub("creds"), ws.sub("link"))
        if case .failure(let error) = factory.make(s3(ws.sub("link"), profile: "backup")) {
            #expect(error.message.contains("cannot be opened"), "\(error)")
        } else {
            Issue.record("a credentials file reached through a symlink was accepted")
        }
        #expect(
            TargetFactory.parseCredentials("[default]\naws_access_key_id=a\naws_secret_access_key=b=c\n", profile: "default")?.secretKey
                == "b=c")
    }
}
