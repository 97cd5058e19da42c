#!/usr/bin/env node
// Runs the Cloudflare API emulator until Ctrl+C:
//   node dist/emulator/cli.js [--port 8787] [--host 127.0.0.1] [--seed seed.json] [--rate-limit 1200/300]
//                             [--fault '{"kind":"server-error","status":503,"times":2}' ...]

import { parseArgs } from "node:util";

import {
    ADMIN_PREFIX,
    DEFAULT_HOST,
    DEFAULT_SEED_PATH,
    EMULATOR_DEMO_TOKEN,
    loadSeed,
    startEmulator,
    type LoadedSeed,
    type FaultSpec,
    type RateLimit,
} from "./index";

const USAGE = `Usage: node dist/emulator/cli.js [options]

Serves Cloudflare's custom-certificate API (list, get one, prioritize) from a seed file.

Options:
  --port <n>            port to listen on (default 8787; 0 picks a free one)
  --host <address>      address to listen on (default ${DEFAULT_HOST})
  --seed <file>         seed JSON file (default: the bundled ${DEFAULT_SEED_PATH})
  --rate-limit <n/s>    answer 429 past n requests per s seconds per credential, e.g. 1200/300
  --fault <json>        queue a fault before the first request; repeatable. For example
                        '{"kind":"rate-limit","retryAfterSeconds":2,"times":3}' or
                        '{"kind":"server-error","status":503,"probability":0.2,"seed":7,"times":"always"}'.
                        Kinds: rate-limit, server-error, slow, drop, malformed, truncated,
                        unsuccessful, off-schema. POST ${ADMIN_PREFIX}/faults adds more while it runs.
  -h, --help            show this help`;

const DEFAULT_PORT = 8787;

async function main(): Promise<void> {
    const options = readOptions(process.argv.slice(2));
    if (options === "help") {
        console.log(USAGE);
        return;
    }

    const seed = loadSeed(options.seed);
    const emulator = await startEmulator({
        host: options.host,
        port: options.port,
        seed,
        ...(options.rateLimit === undefined ? {} : { rateLimit: options.rateLimit }),
        faults: options.faults,
    });
    printBanner(emulator.url, emulator.apiBaseUrl, options, seed);

    const stop = () => {
        emulator.close().then(
            () => console.log("emulator stopped"),
            (err: unknown) => {
                console.error(`emulator did not close cleanly: ${err instanceof Error ? err.message : String(err)}`);
                process.exitCode = 1;
            },
        );
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
}

interface CliOptions {
    host: string;
    port: number;
    seed: string;
    rateLimit: RateLimit | undefined;
    faults: FaultSpec[];
}

function readOptions(args: string[]): CliOptions | "help" {
    const { values } = parseArgs({
        args,
        strict: true,
        options: {
            port: { type: "string" },
            host: { type: "string" },
            seed: { type: "string" },
            "rate-limit": { type: "string" },
            fault: { type: "string", multiple: true },
            help: { type: "boolean", short: "h" },
        },
    });
    if (values.help === true) {
        return "help";
    }

    return {
        host: values.host ?? DEFAULT_HOST,
        port: values.port === undefined ? DEFAULT_PORT : portNumber(values.port),
        seed: values.seed ?? DEFAULT_SEED_PATH,
        rateLimit: values["rate-limit"] === undefined ? undefined : rateLimit(values["rate-limit"]),
        faults: (values.fault ?? []).map(faultSpec),
    };
}

// Only the JSON is read here; startEmulator checks the fault itself and names each bad field.
function faultSpec(text: string): FaultSpec {
    try {
        return JSON.parse(text) as FaultSpec;
    } catch {
        throw new UsageError(`--fault must be a JSON object such as '{"kind":"drop"}', not ${JSON.stringify(text)}`);
    }
}

function portNumber(text: string): number {
    const port = Number(text);
    if (!/^\d+$/.test(text) || port > 65_535) {
        throw new UsageError(`--port must be a whole number from 0 to 65535, not ${JSON.stringify(text)}`);
    }
    return port;
}

function rateLimit(text: string): RateLimit {
    const match = /^(\d+)\/(\d+)$/.exec(text);
    if (match === null || Number(match[1]) < 1 || Number(match[2]) < 1) {
        const shown = JSON.stringify(text);
        throw new UsageError(`--rate-limit must be <requests>/<seconds>, such as 1200/300, not ${shown}`);
    }
    return { requests: Number(match[1]), windowSeconds: Number(match[2]) };
}

function printBanner(url: string, apiBaseUrl: string, options: CliOptions, seed: LoadedSeed): void {
    const lines = [
        `Cloudflare API emulator listening on ${url}`,
        `  API base URL: ${apiBaseUrl}`,
        `  seed:         ${options.seed}`,
        ...seed.zones.map((zone) => `  zone:         ${zone.id}  ${zone.name} (${zone.certificates.length} certs)`),
        `  admin:        ${url}${ADMIN_PREFIX}/health, /requests, /zones, /faults, /reset`,
    ];
    if (options.rateLimit !== undefined) {
        const { requests, windowSeconds } = options.rateLimit;
        lines.push(`  rate limit:   ${requests} requests per ${windowSeconds} s per credential`);
    }
    for (const fault of options.faults) {
        lines.push(`  fault:        ${JSON.stringify(fault)}`);
    }
    // Only the bundled demo token is printed; a user's own seed may hold tokens worth keeping quiet.
    if (seed.tokens.some((entry) => entry === EMULATOR_DEMO_TOKEN)) {
        lines.push(`  try:          export CLOUDFLARE_API_TOKEN=${EMULATOR_DEMO_TOKEN}`);
        lines.push(`                export CLOUDFLARE_BASE_URL=${apiBaseUrl}`);
    }
    if (!["127.0.0.1", "::1", "localhost"].includes(options.host)) {
        lines.push(`  note:         listening on ${options.host}; the admin endpoints answer loopback clients only`);
    }
    lines.push("Press Ctrl+C to stop.");
    console.log(lines.join("\n"));
}

class UsageError extends Error {}

main().catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    const usage = err instanceof UsageError || String((err as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
    console.error(usage ? `${message}\n\n${USAGE}` : message);
    process.exitCode = usage ? 2 : 1;
});
