import Testing

@testable import PacaS3

/// The worked examples of AWS's "Signature Calculations for the Authorization Header" page
/// (examplebucket, 2013-05-24, us-east-1, the documentation's example key pair).
@Suite struct SigV4Tests {
    let signer = SigV4Signer(
        credentials: S3Credentials(accessKey: "AKIAIOSFODNN7EXAMPLE", secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1")
    let time: Int64 = 1_369_353_600  // 2013-05-24T00:00:00Z

    func authorization(_ headers: [(String, String)]) -> String? { headers.first { $0.0 == "Authorization" }?.1 }

    @Test func getObjectWithRange() {
        let headers = [("host", "examplebucket.s3.amazonaws.com"), ("range", "bytes=0-9")]
        let canonical = signer.canonicalRequest(
            method: "GET", path: "/test.txt", query: [],
            headers: headers + [("x-amz-content-sha256", SigV4Signer.emptyPayloadHash), ("x-amz-date", "20130524T000000Z")],
            payloadHash: SigV4Signer.emptyPayloadHash)
        #expect(
            canonical.request == """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        let signed = signer.sign(
            method: "GET", path: "/test.txt", query: [], headers: headers, payloadHash: SigV4Signer.emptyPayloadHash, unixSeconds: time)
        #expect(
            authorization(signed)
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(signed.contains { $0 == ("x-amz-date", "20130524T000000Z") })
    }

    @Test func putObjectWithEncodedKeyAndBody() {
        let body = Array("Welcome to Amazon S3.".utf8)
        let hash = SigV4Signer.payloadHash(body)
        #expect(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(SigV4Signer.uriEncode("test$file.text", keepSlash: true) == "test%24file.text")
        let signed = signer.sign(
            method: "PUT", path: "/test%24file.text", query: [],
            headers: [
                ("Host", "examplebucket.s3.amazonaws.com"), ("Date", "Fri, 24 May 2013 00:00:00 GMT"),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ], payloadHash: hash, unixSeconds: time)
        #expect(authorization(signed)?.hasSuffix("Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd") == true)
    }

    @Test func listObjectsQueryIsSortedAndEncoded() {
        let signed = signer.sign(
            method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")], headers: [("host", "examplebucket.s3.amazonaws.com")],
            payloadHash: SigV4Signer.emptyPayloadHash, unixSeconds: time)
        #expect(authorization(signed)?.hasSuffix("Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7") == true)
    }

    @Test func bucketLifecycleSubresource() {
        let signed = signer.sign(
            method: "GET", path: "/", query: [("lifecycle", "")], headers: [("host", "examplebucket.s3.amazonaws.com")],
            payloadHash: SigV4Signer.emptyPayloadHash, unixSeconds: time)
        #expect(authorization(signed)?.hasSuffix("Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543") == true)
    }

    @Test func uriEncodingKeepsOnlyUnreserved() {
        #expect(SigV4Signer.uriEncode("a b/c~d_e.f-g", keepSlash: true) == "a%20b/c~d_e.f-g")
        #expect(SigV4Signer.uriEncode("a/b=c&d+e", keepSlash: false) == "a%2Fb%3Dc%26d%2Be")
        #expect(SigV4Signer.uriEncode("서울", keepSlash: true) == "%EC%84%9C%EC%9A%B8")
    }

    @Test func credentialsNeverPrintTheSecret() {
        let credentials = S3Credentials(accessKey: "AKID", secretKey: "very-secret-value")
        #expect(!"\(credentials)".contains("very-secret-value"))
        #expect(!String(reflecting: credentials).contains("very-secret-value"))
    }
}

@Suite struct XMLDocumentTests {
    @Test func readsAListing() throws {
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>\
            <IsTruncated>true</IsTruncated><NextContinuationToken>t&amp;1</NextContinuationToken>\
            <Contents><Key>host/set/a&lt;b&gt;.zip</Key><Size>12</Size></Contents>\
            <Contents><Key>&#49;&#x32;</Key><Size>0</Size></Contents><Empty/></ListBucketResult>
            """
        let root = try XMLElement.parse(Array(text.utf8))
        #expect(root.name == "ListBucketResult")
        #expect(root.value("NextContinuationToken") == "t&1")
        #expect(root.children("Contents").map { $0.value("Key") } == ["host/set/a<b>.zip", "12"])
        #expect(root.child("Empty")?.text == "")
    }

    @Test func refusesMalformedDocuments() {
        for text in ["", "<a>", "<a></b>", "<a>&bogus;</a>", "<a></a><b></b>", "<a x=\"1></a>", "text"] {
            #expect(throws: XMLElement.ParseError.self, "\(text)") { try XMLElement.parse(Array(text.utf8)) }
        }
    }
}
