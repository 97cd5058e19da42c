import * as assert from "node:assert/strict";

import { startEmulator, type Emulator, type FaultSpec } from "../../emulator";
import type { LocalStack } from "../../scripts/stack";
import { requirePulumiCli } from "../support/pulumiCli";
import { e2eSeed, TOKEN, ZONES } from "./fixtures";
import {
    deploymentOf,
    leaks,
    prioritiesIn,
    priorityResources,
    programStack,
    writes,
    type DeclaredPriority,
} from "./helpers";

const ZONE = ZONES.primary.id;
const [A, B, C] = ZONES.primary.order as [string, string, string];
const CF_RAY = /cf-ray [0-9a-f]{16}-EMU/;

function declare(order: string[]): DeclaredPriority[] {
    return [{ name: "primary", zoneId: ZONE, certificates: order.map((id, index) => ({ id, priority: index + 1 })) }];
}

// What a failed `up` must say, for one fault injected on every matching request.
interface Round {
    title: string;
    fault: FaultSpec;
    order: string[];
    says: RegExp[];
}

// An update sends its PUT without reading the zone first, so a fault on the list endpoint meets
// `up --refresh`, which reads every resource before it changes anything.
function upArgs(fault: FaultSpec): string[] {
    const reads = fault.match?.method === "GET";
    return ["up", "--yes", "--skip-preview", ...(reads ? ["--refresh"] : [])];
}

const rounds: Round[] = [
    {
        title: "a 503 on every PUT",
        fault: { kind: "server-error", status: 503, match: { method: "PUT" } },
        order: [B, A, C],
        says: [
            new RegExp(
                `prioritize custom certificates of zone ${ZONE}: 3 attempts over \\d+\\.\\d s, last: 503 Service Unavailable`,
            ),
            /\[1000\] Internal server error/,
            CF_RAY,
            /Cloudflare could not answer; try again later/,
        ],
    },
    {
        title: "a 502 on every list",
        fault: { kind: "server-error", status: 502, match: { method: "GET" } },
        order: [C, B, A],
        says: [
            new RegExp(`list custom certificates of zone ${ZONE}: 3 attempts over \\d+\\.\\d s, last: 502 Bad Gateway`),
            CF_RAY,
        ],
    },
    {
        title: "answers slower than the 1 s timeout",
        fault: { kind: "slow", delayMs: 4000, match: { method: "GET" } },
        order: [A, C, B],
        says: [
            /3 attempts over \d+\.\d s, last: no complete answer within 1\.0 s \(timed out\)/,
            /Check that http:\/\/127\.0\.0\.1:\d+ is reachable/,
        ],
    },
    {
        title: "connections dropped before the answer",
        fault: { kind: "drop", when: "before-answer", match: { method: "PUT" } },
        order: [C, A, B],
        says: [new RegExp(`zone ${ZONE}: 3 attempts over \\d+\\.\\d s, last: the connection dropped`)],
    },
    {
        title: "connections dropped in the middle of the answer",
        fault: { kind: "drop", when: "mid-answer", match: { method: "GET" } },
        order: [B, C, A],
        says: [/3 attempts over \d+\.\d s, last: the connection dropped/],
    },
    {
        title: "a truncated answer",
        fault: { kind: "truncated", match: { method: "GET" } },
        order: [A, B, C],
        says: [/1 attempt over \d+\.\d s: 200 OK .*: the answer is not JSON/],
    },
    {
        title: "a 200 whose result is off the schema",
        fault: { kind: "off-schema", match: { method: "PUT" } },
        order: [C, B, A],
        says: [/the answer does not match Cloudflare's documented schema: result\[0\]\.id/],
    },
    {
        title: "a 200 that says success: false",
        fault: { kind: "unsuccessful", match: { method: "PUT" } },
        order: [B, A, C],
        says: [/the answer says success: false; \[1000\]/],
    },
];

// Faults injected into the emulator while the real Pulumi CLI runs `up`: each fails with an error
// that says what was tried, leaves the state as it was, keeps the change pending, and the next
// `up` without the fault converges.
describe("faults during up, through the Pulumi CLI (end to end)", function () {
    this.timeout(300_000);

    let emulator: Emulator;
    let stack: LocalStack;
    let applied: string[];

    before(async function () {
        requirePulumiCli(this);
        emulator = await startEmulator({ seed: e2eSeed() });
        stack = programStack("faults-e2e", emulator, { CLOUDFLARE_API_TOKEN: TOKEN });
        await stack.init();
    });

    after(async () => {
        stack?.dispose();
        await emulator?.close();
    });

    beforeEach(() => {
        emulator.clearFaults();
        emulator.clearRequests();
    });

    it("a 429 storm on the first up: fails saying so, creates nothing, and the next up creates", async () => {
        const seeded = prioritiesIn(emulator, ZONE);
        await stack.setConfigJson("priorities", declare([A, B, C]));
        emulator.injectFault({ kind: "rate-limit", retryAfterSeconds: 1, times: "always" });

        const failed = await stack.run(["up", "--yes", "--skip-preview"], true);

        assert.notEqual(failed.code, 0);
        const output = failed.stdout + failed.stderr;
        assert.match(
            output,
            new RegExp(
                `list custom certificates of zone ${ZONE}: 3 attempts over [2-9]\\.\\d s, last: 429 Too Many Requests`,
            ),
        );
        assert.match(output, /\[971\] Please wait/);
        assert.match(output, /Cloudflare allows 1200 requests per 5 minutes per user/);
        assert.deepEqual(leaks(TOKEN, { output }), []);
        const deployment = await deploymentOf(stack);
        assert.deepEqual(priorityResources(deployment), []);
        assert.deepEqual(deployment.pending_operations ?? [], []);
        assert.deepEqual(writes(emulator), []);
        assert.deepEqual(prioritiesIn(emulator, ZONE), seeded);
        assert.equal(emulator.requests().length, 3);

        const preview = await stack.run(["preview"]);
        assert.match(preview.stdout, /\+ .*CertificatePriority/);

        emulator.clearFaults();
        await stack.run(["up", "--yes", "--skip-preview"]);
        assert.deepEqual(
            [A, B, C].map((id) => prioritiesIn(emulator, ZONE)[id]),
            [1, 2, 3],
        );
        applied = [A, B, C];
    });

    for (const round of rounds) {
        it(`${round.title}: up fails saying what was tried, the state and zone stay, preview still shows the change`, async () => {
            await stack.setConfigJson("priorities", declare(round.order));
            const stateBefore = priorityResources(await deploymentOf(stack));
            const zoneBefore = prioritiesIn(emulator, ZONE);
            emulator.injectFault({ ...round.fault, times: "always" });

            const failed = await stack.run(upArgs(round.fault), true);

            assert.notEqual(failed.code, 0);
            const output = failed.stdout + failed.stderr;
            for (const pattern of round.says) {
                assert.match(output, pattern);
            }
            assert.deepEqual(leaks(TOKEN, { output }), []);
            const deployment = await deploymentOf(stack);
            assert.deepEqual(priorityResources(deployment), stateBefore, "the state changed");
            assert.deepEqual(deployment.pending_operations ?? [], []);
            assert.deepEqual(prioritiesIn(emulator, ZONE), zoneBefore, "the zone changed");

            const preview = await stack.run(["preview"]);
            assert.match(preview.stdout, /~ .*CertificatePriority.*update|1 to update/s);

            emulator.clearFaults();
            emulator.clearRequests();
            await stack.run(["up", "--yes", "--skip-preview"]);
            assert.deepEqual(
                round.order.map((id) => prioritiesIn(emulator, ZONE)[id]),
                [1, 2, 3],
            );
            assert.equal(writes(emulator).length, 1);
            applied = round.order;
        });
    }

    it("rides out two 503s and a 429 with retry-after within one up", async () => {
        const order = [...applied].reverse();
        await stack.setConfigJson("priorities", declare(order));
        emulator.injectFault({ kind: "server-error", status: 503, times: 2, match: { method: "PUT" } });
        emulator.injectFault({ kind: "rate-limit", retryAfterSeconds: 1, times: 1, match: { method: "GET" } });

        const result = await stack.run(["up", "--yes", "--skip-preview", "--refresh"]);

        assert.match(result.stdout, /1 updated/);
        assert.deepEqual(
            order.map((id) => prioritiesIn(emulator, ZONE)[id]),
            [1, 2, 3],
        );
        assert.deepEqual(
            emulator.requests().map((r) => `${r.method} ${r.status}`),
            ["GET 429", "GET 200", "PUT 503", "PUT 503", "PUT 200"],
        );
        applied = order;
    });

    it("a certificate the zone does not hold: fails naming it, nothing sent, state as it was", async () => {
        const bogus = "0000aaaa1111bbbb2222cccc3333dddd";
        await stack.setConfigJson("priorities", declare([applied[0]!, bogus]));
        const stateBefore = priorityResources(await deploymentOf(stack));
        const zoneBefore = prioritiesIn(emulator, ZONE);

        const failed = await stack.run(["up", "--yes", "--skip-preview"], true);

        assert.notEqual(failed.code, 0);
        assert.match(
            failed.stdout + failed.stderr,
            new RegExp(
                `zone ${ZONE} holds no custom certificate certificates\\[1\\]\\.id ${bogus}; nothing was changed`,
            ),
        );
        assert.deepEqual(writes(emulator), []);
        assert.deepEqual(prioritiesIn(emulator, ZONE), zoneBefore);
        assert.deepEqual(priorityResources(await deploymentOf(stack)), stateBefore);
        await stack.setConfigJson("priorities", declare(applied));
    });

    it("a zone that does not exist: fails naming it, nothing sent, nothing created", async () => {
        const missingZone = "0123456789abcdef0123456789abcdef";
        const declared = [
            ...declare(applied),
            { name: "ghost", zoneId: missingZone, certificates: [{ id: A, priority: 1 }] },
        ];
        await stack.setConfigJson("priorities", declared);

        const failed = await stack.run(["up", "--yes", "--skip-preview"], true);

        assert.notEqual(failed.code, 0);
        assert.match(
            failed.stdout + failed.stderr,
            new RegExp(`Zone ${missingZone} does not exist, or these credentials cannot see it`),
        );
        assert.match(failed.stdout + failed.stderr, /404 Not Found .*\[7003\] Could not route/);
        assert.deepEqual(writes(emulator), []);
        assert.equal(priorityResources(await deploymentOf(stack)).length, 1);
        await stack.setConfigJson("priorities", declare(applied));
    });
});

// Failures that must stop before the first request.
describe("failing before any request, through the Pulumi CLI (end to end)", function () {
    this.timeout(120_000);

    let emulator: Emulator;
    const stacks: LocalStack[] = [];

    before(async function () {
        requirePulumiCli(this);
        emulator = await startEmulator({ seed: e2eSeed() });
    });

    after(async () => {
        stacks.forEach((stack) => stack.dispose());
        await emulator?.close();
    });

    beforeEach(() => emulator.clearRequests());

    async function stackWith(name: string, env: Record<string, string | undefined>): Promise<LocalStack> {
        const stack = programStack(name, emulator, env);
        stacks.push(stack);
        await stack.init();
        await stack.setConfigJson("priorities", declare([A, B]));
        return stack;
    }

    it("missing credentials: up fails naming the config key and the environment variables, and sends nothing", async () => {
        const stack = await stackWith("no-credentials-e2e", {});

        const failed = await stack.run(["up", "--yes", "--skip-preview"], true);

        assert.notEqual(failed.code, 0);
        const output = failed.stdout + failed.stderr;
        assert.match(output, /No Cloudflare credentials are configured/);
        assert.match(output, /pulumi config set --secret cloudflare:apiToken <token>/);
        assert.match(output, /CLOUDFLARE_API_TOKEN/);
        assert.match(output, /CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL/);
        assert.deepEqual(emulator.requests(), []);
        assert.deepEqual(priorityResources(await deploymentOf(stack)), []);
    });

    it("a bad retry setting: preview fails naming the variable and the fix, and sends nothing", async () => {
        const stack = await stackWith("bad-setting-e2e", {
            CLOUDFLARE_API_TOKEN: TOKEN,
            CLOUDFLARE_PRIORITY_MAX_ATTEMPTS: "many",
        });

        const failed = await stack.run(["preview"], true);

        assert.notEqual(failed.code, 0);
        assert.match(
            failed.stdout + failed.stderr,
            /the environment variable CLOUDFLARE_PRIORITY_MAX_ATTEMPTS must be a whole number of attempts from 1 to 20, not "many"; set it to, say, 4, or unset it/,
        );
        assert.deepEqual(emulator.requests(), []);
    });

    it("a bad retry setting in stack config: up fails naming the key and the command that fixes it", async () => {
        const stack = await stackWith("bad-config-setting-e2e", { CLOUDFLARE_API_TOKEN: TOKEN });
        await stack.setConfig("cloudflare-certificate-priority:timeoutMs", "30s");

        const failed = await stack.run(["up", "--yes", "--skip-preview"], true);

        assert.notEqual(failed.code, 0);
        assert.match(
            failed.stdout + failed.stderr,
            /the stack config cloudflare-certificate-priority:timeoutMs must be a whole number of milliseconds from 1 to 600000, not "30s"; set it with `pulumi config set cloudflare-certificate-priority:timeoutMs 30000`/,
        );
        assert.deepEqual(emulator.requests(), []);
    });
});
