import * as assert from "node:assert/strict";

import { startEmulator, type Emulator } from "../../emulator";
import type { LocalStack } from "../../scripts/stack";
import { e2eSeed, ZONES } from "./fixtures";
import { quickstartStack } from "./helpers";
import { requirePulumiCli } from "../support/pulumiCli";

const [E1, E2, E3] = ZONES.primary.order as [string, string, string];

// What a reviewer reads in `pulumi preview --diff` when the quickstart's certificates are reordered.
// CertificateOrder hands its child the certificates sorted by ID, so the engine, which compares lists
// element by element, shows each certificate's priority moving rather than each position's ID changing.
const REORDER_PREVIEW = `
Previewing update (<stack>):
  pulumi:pulumi:Stack: (same)
    [urn=<stack urn>]
    ~ pulumi-nodejs:dynamic/cloudflare:CertificatePriority: (update)
        [id=${ZONES.primary.id}]
        [urn=urn:pulumi:<stack>::certificate-priority-quickstart::cloudflare-certificate-priority:index:CertificateOrder$pulumi-nodejs:dynamic/cloudflare:CertificatePriority::primary-zone]
      ~ certificates: [
          ~ [0]: {
                    id      : "${E1}"
                  ~ priority: 1 => 2
                }
          ~ [1]: {
                    id      : "${E2}"
                  ~ priority: 2 => 1
                }
            [2]: {
                    id      : "${E3}"
                    priority: 3
                }
        ]
        onDelete    : "restore"
        zoneId      : "${ZONES.primary.id}"
    --outputs:--
  ~ primaryOrder: [
      ~ [0]: {
              ~ id      : "${E1}" => "${E2}"
                priority: 1
                zoneId  : "${ZONES.primary.id}"
            }
      ~ [1]: {
              ~ id      : "${E2}" => "${E1}"
                priority: 2
                zoneId  : "${ZONES.primary.id}"
            }
        [2]: {
                id      : "${E3}"
                priority: 3
                zoneId  : "${ZONES.primary.id}"
            }
    ]
Resources:
    ~ 1 to update
    2 unchanged
`;

describe("pulumi preview --diff of a reorder (end to end)", function () {
    this.timeout(120_000);

    let emulator: Emulator;
    let stack: LocalStack;

    before(async function () {
        requirePulumiCli(this);
        emulator = await startEmulator({ seed: e2eSeed() });
        stack = await quickstartStack(`preview-diff-${process.pid}`, emulator);
        await stack.setConfigJson("certificates", [E1, E2, E3]);
        await stack.run(["up", "--yes", "--skip-preview"]);
    });

    after(async () => {
        await stack?.run(["destroy", "--yes", "--skip-preview"], true);
        stack?.dispose();
        await emulator?.close();
    });

    it("shows which certificate moves from which priority to which", async () => {
        await stack.setConfigJson("certificates", [E2, E1, E3]);

        const result = await stack.run(["preview", "--diff"]);

        assert.equal(normalise(result.stdout, stack.stack), REORDER_PREVIEW.trimStart());
    });
});

// The stack's name is unique per run; everything else in the preview is deterministic.
function normalise(output: string, stackName: string): string {
    return output
        .split("\n")
        .filter((line) => !line.startsWith("warning: Undefined value"))
        .map((line) => line.trimEnd())
        .join("\n")
        .replace(/\[urn=urn:pulumi:[^\]]*pulumi:pulumi:Stack::[^\]]*\]/, "[urn=<stack urn>]")
        .split(stackName)
        .join("<stack>")
        .replace(/\n{2,}/g, "\n")
        .trimStart();
}
