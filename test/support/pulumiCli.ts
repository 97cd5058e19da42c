import { spawnSync } from "node:child_process";

/**
 * Skips the calling suite when no Pulumi CLI is on PATH; in CI (`CI` set) that is a failure instead, so
 * the end-to-end tests can never pass there by not running.
 */
export function requirePulumiCli(context: Mocha.Context): void {
    const probe = spawnSync("pulumi", ["version"], { encoding: "utf8" });
    if (probe.status === 0) {
        return;
    }

    const why = "the Pulumi CLI is not on PATH; run the tests with `scripts/run test`, which provides it";
    if (process.env["CI"]) {
        throw new Error(why);
    }
    console.warn(`skipping the end-to-end tests: ${why}`);
    context.skip();
}
