import Testing
import TesseraWire
@testable import TesseraWorker

/// A process's clients' welcomes are decoded once per run's text, and each client still gets
/// exactly the configuration its text holds.
@Suite("Welcome decoder")
struct WelcomeDecoderTests {
    static func text(index: Int, seed: UInt64 = 1) throws -> String {
        try ClientConfiguration(model: .logisticRegression, data: "synthetic", clients: 5_000, clientIndex: index, seed: seed).json()
    }

    @Test func eachClientGetsTheConfigurationItsTextHolds() throws {
        let decoder = WelcomeDecoder()
        for (index, seed) in [(0, 1), (4_321, 1), (17, 1), (17, 2), (999, 2)] as [(Int, UInt64)] {
            let text = try Self.text(index: index, seed: seed)
            #expect(try decoder.configuration(from: text) == ClientConfiguration(json: text))
        }
    }

    @Test func aTextItCannotSplitIsDecodedAndABadOneRefused() throws {
        let decoder = WelcomeDecoder()
        _ = try decoder.configuration(from: Self.text(index: 3))
        // A leading zero is not JSON: decoded (and refused), not read from the last text.
        let padded = try Self.text(index: 3).replacingOccurrences(of: "\"clientIndex\":3", with: "\"clientIndex\":03")
        #expect(throws: (any Error).self) { try decoder.configuration(from: padded) }
        #expect(ClientConfiguration.splitAtIndex(padded) == nil)
        #expect(throws: (any Error).self) { try decoder.configuration(from: "{\"clientIndex\":4}") }
        let split = ClientConfiguration.splitAtIndex(try Self.text(index: 12))
        #expect(split?.index == 12 && split?.head.hasSuffix("\"clientIndex\":") == true)
    }
}
