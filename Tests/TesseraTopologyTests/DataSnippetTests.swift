import Foundation
import Testing
import TesseraTestSupport

/// docs/DATA.md's snippets for turning other libraries' datasets into files, run by
/// scripts/data_snippets.py (with stand-ins for downloads) and checked by `tessera check`.
@Suite("docs/DATA.md snippets")
struct DataSnippetTests {
    @Test(.enabled(if: pythonWithNumPy, "needs python3 with numpy (make test installs it)"))
    func theTestedSnippetsWriteFilesTesseraReads() throws {
        let script = try ProcessHarness(program: "/usr/bin/env", ["python3", "scripts/data_snippets.py", ProcessHarness.tesseraPath],
                                        includingErrors: true)
        let status = script.waitForExit(timeout: 300)
        let lines = script.outputLines
        #expect(status == 0, "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("failed:") }, "\(lines)")
        // LEAF's needs numpy alone, so it always runs; the others run where their package installed.
        #expect(lines.contains { $0.hasPrefix("ok: LEAF: ") && $0.contains("natural clients: 8 natural clients") }, "\(lines)")
        for skipped in lines where skipped.hasPrefix("skipped:") { print(skipped) }
    }
}
