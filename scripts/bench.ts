// The benchmark (`npm run bench`). It drives CertificatePriority stacks and a baseline stack of
// no-op dynamic resources through the real Pulumi CLI against emulators on loopback, and prints,
// each beside its baseline: API calls per operation, wall time of preview and up, serialized
// provider and state size, throughput under a rate limit, and the provider process's peak memory
// (with the CPU time of the provider, the program and the engine, to show where time goes).
// It exits non-zero only when something fails; a missed target prints MISSED.

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import * as os from "node:os";
import { parseArgs } from "node:util";

import { startEmulator, type Emulator, type RequestLogEntry } from "../emulator";
import {
    BenchStack,
    benchSeed,
    DESTROY,
    elapsedSeconds,
    expectSummary,
    heading,
    highestLoadSeen,
    installBenchPrograms,
    KINDS,
    linkedProviderBytes,
    median,
    plan,
    PREVIEW,
    progress,
    REFRESH,
    removeBenchPrograms,
    seededZones,
    table,
    unappliedZones,
    UP,
    watchingProcesses,
    type Kind,
    type CommandUse,
    type ProcessUse,
    type PlannedZone,
} from "./bench-support";
import { repoRoot } from "./package-layout";
import type { CommandResult } from "./stack";

const USAGE = `Usage: npm run bench -- [options]   (or: node dist/scripts/bench.js [options])

  -Z, --zones <n>         zones of the API-call stack (default 20)                 BENCH_Z
  -C, --certs <n>         certificates per zone (default 8)                        BENCH_C
  -N, --sizes <n,...>     resources per stack, timed (default 1,50,200)            BENCH_N
  -R, --rate <n>          requests per second the emulator allows (default 20)     BENCH_R
      --reps <n>          timed ups per stack and N (default 3)                    BENCH_REPS
      --preview-reps <n>  timed previews per stack and N (default 5)               BENCH_PREVIEW_REPS
      --rate-zones <n>    zones applied under the rate limit (default 200)         BENCH_RATE_ZONES
      --parallel <p,...>  pulumi up --parallel for the rate-limited runs, one run  BENCH_PARALLEL
                          each; "default" is Pulumi's own (default: default,32; quick: default)
      --only <s,...>      sections to run: 1 calls, 2 times (with 3 state and     BENCH_ONLY
                          5 memory), 4 throughput (default: all)
      --quick             a smoke run of about a minute
      --json <file>       also write every figure to a JSON file`;

/** Certificates per page when the client lists a zone: the most Cloudflare serves. */
const LIST_PAGE_SIZE = 50;

// The targets of the benchmark's issue.
const PROVIDER_BYTES_TARGET = 4 * 1024;
const PREVIEW_RATIO_TARGET = 1.15;
const THROUGHPUT_TARGET = 1.2;

/** How far the ratio may rise from the smallest N to the largest and still count as not growing (noise). */
const RATIO_GROWTH_TOLERANCE = 0.05;

/**
 * The 1-minute load per core above which other work disturbs the wall times. The benchmark alone
 * keeps about three processes (engine, program, provider) busy in turn, so it counts only past that.
 */
const BUSY_LOAD_PER_CORE = 1.5;

interface BenchOptions {
    zones: number;
    certificates: number;
    sizes: number[];
    rate: number;
    reps: number;
    previewReps: number;
    rateZones: number;
    /** --parallel for each throughput run; undefined runs with Pulumi's default. */
    parallel: Array<number | undefined>;
    sections: Set<number>;
    quick: boolean;
    json: string | undefined;
}

// ---------------------------------------------------------------------------------------------
// Options

function readOptions(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | "help" {
    const { values } = parseArgs({
        args: argv,
        options: {
            zones: { type: "string", short: "Z" },
            certs: { type: "string", short: "C" },
            sizes: { type: "string", short: "N" },
            rate: { type: "string", short: "R" },
            reps: { type: "string" },
            "preview-reps": { type: "string" },
            "rate-zones": { type: "string" },
            parallel: { type: "string" },
            only: { type: "string" },
            quick: { type: "boolean", default: false },
            json: { type: "string" },
            help: { type: "boolean", short: "h", default: false },
        },
    });
    if (values.help) {
        return "help";
    }

    const quick = values.quick;
    const pick = (flag: string | undefined, name: string) => flag ?? nonEmpty(env[name]);
    const list = (name: string, text: string | undefined, fallback: number[]) =>
        text === undefined ? fallback : text.split(",").map((s) => whole(name, s.trim(), 1));

    return {
        zones: whole("--zones (BENCH_Z)", pick(values.zones, "BENCH_Z"), quick ? 4 : 20),
        certificates: whole("--certs (BENCH_C)", pick(values.certs, "BENCH_C"), 8),
        sizes: list("--sizes (BENCH_N)", pick(values.sizes, "BENCH_N"), quick ? [1, 10] : [1, 50, 200]),
        rate: whole("--rate (BENCH_R)", pick(values.rate, "BENCH_R"), 20),
        reps: whole("--reps (BENCH_REPS)", pick(values.reps, "BENCH_REPS"), quick ? 1 : 3),
        previewReps: whole(
            "--preview-reps (BENCH_PREVIEW_REPS)",
            pick(values["preview-reps"], "BENCH_PREVIEW_REPS"),
            quick ? 1 : 5,
        ),
        rateZones: whole(
            "--rate-zones (BENCH_RATE_ZONES)",
            pick(values["rate-zones"], "BENCH_RATE_ZONES"),
            quick ? 20 : 200,
        ),
        parallel: (pick(values.parallel, "BENCH_PARALLEL") ?? (quick ? "default" : "default,32"))
            .split(",")
            .map((s) => (s.trim() === "default" ? undefined : whole("--parallel (BENCH_PARALLEL)", s.trim(), 1))),
        sections: new Set(list("--only (BENCH_ONLY)", pick(values.only, "BENCH_ONLY"), [1, 2, 3, 4, 5])),
        quick,
        json: values.json,
    };
}

function whole(name: string, text: string | undefined, fallback: number, min = 1): number {
    if (text === undefined) {
        return fallback;
    }
    const value = Number(text);
    if (!Number.isInteger(value) || value < min) {
        throw new Error(`${name} must be a whole number of at least ${min}, not ${JSON.stringify(text)}`);
    }
    return value;
}

function nonEmpty(text: string | undefined): string | undefined {
    return text === undefined || text.trim() === "" ? undefined : text;
}

// ---------------------------------------------------------------------------------------------
// 1. API calls per operation, from the emulator's request log

interface CallCount {
    get: number;
    put: number;
    other: number;
    /** Answers of 400 and above, and dropped connections. */
    errors: number;
}

interface OperationCalls {
    operation: string;
    priority: CallCount;
    baseline: CallCount;
    target: string;
    /** Undefined where the issue sets no target. */
    holds: boolean | undefined;
}

interface CallStep {
    operation: string;
    zones: PlannedZone[];
    args: string[];
    target: string;
    holds: (n: CallCount) => boolean | undefined;
    /** What the emulator must hold after the CertificatePriority stack ran the step. */
    expect?: PlannedZone[];
}

function callSteps(z: number, c: number): CallStep[] {
    const pages = Math.ceil(c / LIST_PAGE_SIZE);
    const initial = plan(0, z, c, () => 0);
    const changed = plan(0, z, c, (i) => (i === 0 ? 1 : 0));
    return [
        { operation: "preview", zones: initial, args: PREVIEW, target: "0 requests", holds: (n) => total(n) === 0 },
        {
            operation: "first up",
            zones: initial,
            args: UP,
            target: `${z} PUT + at most ${z * pages} list reads (the restore record)`,
            holds: (n) => n.put === z && n.get <= z * pages && n.other === 0,
            expect: initial,
        },
        { operation: "no-op up", zones: initial, args: UP, target: "0 requests", holds: (n) => total(n) === 0 },
        {
            operation: "refresh",
            zones: initial,
            args: REFRESH,
            target: `${z * pages} list reads (${pages} per zone), 0 PUT`,
            holds: (n) => n.get === z * pages && n.put === 0 && n.other === 0,
        },
        {
            operation: "one-zone change (reorder)",
            zones: changed,
            args: UP,
            target: "1 PUT + 0 reads (its certificates are all recorded already)",
            holds: (n) => n.put === 1 && n.get === 0 && n.other === 0,
            expect: changed,
        },
        {
            operation: "destroy",
            zones: changed,
            args: DESTROY,
            target: `none set (${z} PUT put the old priorities back)`,
            holds: () => undefined,
            expect: seededZones(z, c),
        },
    ];
}

async function measureApiCalls(options: BenchOptions): Promise<OperationCalls[]> {
    const steps = callSteps(options.zones, options.certificates);
    const emulator = await startEmulator({ seed: benchSeed(options.zones, options.certificates) });
    const counts: Record<Kind, CallCount[]> = { priority: [], baseline: [] };

    try {
        for (const kind of KINDS) {
            emulator.reset();
            const stack = await BenchStack.open(kind, `calls-${kind}`, emulator);
            try {
                for (const step of steps) {
                    stack.declare(step.zones);
                    emulator.clearRequests();
                    await stack.timed(step.args);
                    counts[kind].push(countCalls(emulator.requests()));
                    if (kind === "priority" && step.expect !== undefined) {
                        failIfUnapplied(emulator, step.expect, step.operation);
                    }
                }
            } finally {
                stack.dispose();
            }
        }
    } finally {
        await emulator.close();
    }

    return steps.map((step, i) => {
        const priority = counts.priority[i] ?? zero();
        return {
            operation: step.operation,
            priority,
            baseline: counts.baseline[i] ?? zero(),
            target: step.target,
            holds: step.holds(priority),
        };
    });
}

function countCalls(requests: RequestLogEntry[]): CallCount {
    return {
        get: requests.filter((r) => r.method === "GET").length,
        put: requests.filter((r) => r.method === "PUT").length,
        other: requests.filter((r) => r.method !== "GET" && r.method !== "PUT").length,
        errors: requests.filter((r) => r.status >= 400 || r.status === 0).length,
    };
}

function total(n: CallCount): number {
    return n.get + n.put + n.other;
}

function zero(): CallCount {
    return { get: 0, put: 0, other: 0, errors: 0 };
}

function failIfUnapplied(emulator: Emulator, zones: PlannedZone[], after: string): void {
    const wrong = unappliedZones(emulator, zones);
    if (wrong.length > 0) {
        throw new Error(
            `after ${after}, ${wrong.length} zone(s) do not hold the expected priorities, first ${wrong[0]}`,
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 2, 3 and 5. Wall time, state size and process use for each N; the two stacks run alternately

interface StateSize {
    resources: number;
    /** Bytes of one resource's `__provider` value (the largest, should they differ). */
    providerBytes: number;
    /** How many `__provider` values the state holds per resource (inputs and outputs). */
    providerCopies: number;
    /** Bytes of `pulumi stack export`, divided by the dynamic resources. */
    stateBytesPerResource: number;
    /** Whether a `__provider` value carries the HTTP client's code, which it should load instead. */
    carriesClient: boolean;
}

interface SizeResult {
    n: number;
    create: Record<Kind, number>;
    preview: Record<Kind, number[]>;
    up: Record<Kind, number[]>;
    state: Record<Kind, StateSize>;
    /** What the provider, program and engine processes used in each command. */
    use: Record<Kind, Record<Command, CommandUse[]>>;
    /** API requests the baseline stack sent in all its commands: must be 0. */
    baselineRequests: number;
}

async function measureSizes(options: BenchOptions): Promise<SizeResult[]> {
    const zones = options.sizes.reduce((a, b) => a + b, 0);
    const emulator = await startEmulator({ seed: benchSeed(zones, options.certificates) });
    const results: SizeResult[] = [];

    try {
        let first = 0; // each N orders zones of its own
        for (const n of options.sizes) {
            results.push(await measureSize(options, emulator, { n, first }));
            first += n;
        }
    } finally {
        await emulator.close();
    }
    return results;
}

async function measureSize(
    options: BenchOptions,
    emulator: Emulator,
    at: { n: number; first: number },
): Promise<SizeResult> {
    const { n, first } = at;
    const result: SizeResult = {
        n,
        create: { priority: 0, baseline: 0 },
        preview: { priority: [], baseline: [] },
        up: { priority: [], baseline: [] },
        state: { priority: emptyState(), baseline: emptyState() },
        use: { priority: noUse(), baseline: noUse() },
        baselineRequests: 0,
    };
    const stacks: BenchStack[] = [];

    // Every command of the baseline must leave the request log as it found it.
    const run = async (stack: BenchStack, command: Command, args: string[]) => {
        const before = emulator.requests().length;
        const { value, use } = await watchingProcesses(stack, () => stack.timed(args));
        if (stack.kind === "baseline") {
            result.baselineRequests += emulator.requests().length - before;
        }
        result.use[stack.kind][command].push(use);
        return value;
    };

    try {
        for (const kind of KINDS) {
            stacks.push(await BenchStack.open(kind, `time-${kind}-${n}`, emulator));
        }
        for (const stack of stacks) {
            stack.declare(plan(first, n, options.certificates, () => 0));
            const up = await run(stack, "first up", UP);
            expectSummary(up.result, "created", n + 1); // the stack resource too
            result.create[stack.kind] = up.ms;
            stack.applied = 0;
        }

        // Each repetition declares the other revision, so every preview shows N updates and every
        // up applies them. The stacks take turns: P B, B P, P B, ...
        for (let rep = 1; rep <= Math.max(options.previewReps, options.reps); rep += 1) {
            for (const stack of rep % 2 === 1 ? stacks : [...stacks].reverse()) {
                const next = 1 - stack.applied;
                stack.declare(plan(first, n, options.certificates, () => next));
                if (rep <= options.previewReps) {
                    const preview = await run(stack, "preview", PREVIEW);
                    expectSummary(preview.result, "to update", n);
                    result.preview[stack.kind].push(preview.ms);
                }
                if (rep <= options.reps) {
                    const up = await run(stack, "up", UP);
                    expectSummary(up.result, "updated", n);
                    result.up[stack.kind].push(up.ms);
                    stack.applied = next;
                }
            }
        }

        for (const stack of stacks) {
            result.state[stack.kind] = await stateSize(stack);
        }
    } finally {
        stacks.forEach((stack) => stack.dispose());
    }
    return result;
}

type Command = "first up" | "preview" | "up";

function noUse(): Record<Command, CommandUse[]> {
    return { "first up": [], preview: [], up: [] };
}

function emptyState(): StateSize {
    return { resources: 0, providerBytes: 0, providerCopies: 0, stateBytesPerResource: 0, carriesClient: false };
}

async function stateSize(stack: BenchStack): Promise<StateSize> {
    const exported = await stack.stack.run(["stack", "export"]);
    const state = JSON.parse(exported.stdout) as { deployment: { resources?: Array<Record<string, unknown>> } };
    const dynamic = (state.deployment.resources ?? []).filter((r) =>
        String(r["type"]).startsWith("pulumi-nodejs:dynamic/"),
    );

    const providers = dynamic.flatMap((r) =>
        ["inputs", "outputs"]
            .map((side) => (r[side] as Record<string, unknown> | undefined)?.["__provider"])
            .filter((p): p is string => typeof p === "string"),
    );
    const resources = Math.max(1, dynamic.length);
    return {
        resources: dynamic.length,
        providerBytes: Math.max(0, ...providers.map((p) => Buffer.byteLength(p))),
        providerCopies: providers.length / resources,
        stateBytesPerResource: Buffer.byteLength(exported.stdout) / resources,
        // Names only the client's own code holds; a stub that loads it by module holds none of them.
        carriesClient: providers.some((p) => /undici|CloudflareClient|retryPolicy|safeParse/.test(p)),
    };
}

// ---------------------------------------------------------------------------------------------
// 4 and 5. Throughput under a rate limit: a first up of many zones against a limited emulator

interface ThroughputResult {
    zones: number;
    rate: number;
    parallel: number | undefined;
    seconds: number;
    /** Requests the emulator let through: every answer but 429. */
    admitted: number;
    /** Requests answered 429. */
    limited: number;
    idealSeconds: number;
    /** From the first request's arrival to the last answer: the part of the up the limit governs. */
    apiSeconds: number;
    failedZones: number;
    exitCode: number;
    use: CommandUse;
    /** The first error lines Pulumi printed. */
    errors: string[];
}

async function measureThroughput(options: BenchOptions, parallel: number | undefined): Promise<ThroughputResult> {
    const { rateZones: zones, certificates: c, rate } = options;
    const emulator = await startEmulator({
        seed: benchSeed(zones, c),
        rateLimit: { requests: rate, windowSeconds: 1 },
    });
    let stack: BenchStack | undefined;

    try {
        stack = await BenchStack.open("priority", `rate-${parallel ?? "default"}`, emulator);
        const declared = plan(0, zones, c, () => 0);
        stack.declare(declared);
        emulator.reset(); // a fresh rate-limit window
        emulator.clearRequests();

        const opened = stack;
        const args = parallel === undefined ? UP : [...UP, "--parallel", String(parallel)];
        const { value, use } = await watchingProcesses(opened, () => opened.timed(args, true));
        const requests = emulator.requests();
        const admitted = requests.filter((r) => r.status !== 429).length;

        return {
            zones,
            rate,
            parallel,
            seconds: value.ms / 1000,
            admitted,
            limited: requests.length - admitted,
            idealSeconds: admitted / rate,
            apiSeconds: apiSpan(requests),
            failedZones: unappliedZones(emulator, declared).length,
            exitCode: value.result.code,
            use,
            errors: errorLines(value.result),
        };
    } finally {
        stack?.dispose();
        await emulator.close();
    }
}

function apiSpan(requests: ReadonlyArray<RequestLogEntry>): number {
    const starts = requests.map((r) => Date.parse(r.time));
    const ends = requests.map((r) => Date.parse(r.time) + r.durationMs);
    return requests.length === 0 ? 0 : (Math.max(...ends) - Math.min(...starts)) / 1000;
}

function errorLines(result: CommandResult): string[] {
    const lines = `${result.stdout}\n${result.stderr}`.split("\n").map((l) => l.trim());
    return lines.filter((l) => l.startsWith("error:")).slice(0, 3);
}

// ---------------------------------------------------------------------------------------------
// Report

interface Verdict {
    target: string;
    holds: boolean;
    why: string;
    /** False when the run is too small to judge the target: printed, never counted as missed. */
    judged?: boolean;
}

function describeMachine(options: BenchOptions): Record<string, string> {
    const pulumi = execFileSync("pulumi", ["version"], {
        encoding: "utf8",
        env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    });
    const machine = {
        date: new Date().toISOString(),
        cpu: `${os.cpus().length} x ${os.cpus()[0]?.model ?? "unknown"}`,
        memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
        os: `${os.type()} ${os.release()} ${os.arch()}`,
        node: process.version,
        pulumi: pulumi.trim(),
        source: sourceText(),
        load: loadText(),
        options:
            `Z=${options.zones} C=${options.certificates} N=${options.sizes.join(",")} R=${options.rate}/s ` +
            `previews=${options.previewReps} ups=${options.reps} rate-zones=${options.rateZones} ` +
            `parallel=${options.parallel.map((p) => p ?? "default").join(",")} sections=${[...options.sections].join(",")}` +
            (options.quick ? " (quick)" : ""),
    };

    heading("Machine");
    Object.entries(machine).forEach(([key, value]) => console.log(`  ${key.padEnd(8)} ${value}`));
    if (busy()) {
        console.log(
            `  warning: the machine is busy (load above ${BUSY_LOAD_PER_CORE} per core); wall times will be noisy.`,
        );
    }
    return machine;
}

// What was measured: the commit, and whether the product's sources differed from it.
function sourceText(): string {
    const git = (...args: string[]) =>
        execFileSync("git", args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    try {
        const changed = git("status", "--porcelain", "--", "index.ts", "provider", "components", "emulator");
        // Each line is two status letters, a space and the path.
        const dirs = [
            ...new Set(
                changed
                    .split("\n")
                    .filter(Boolean)
                    .map((line) => line.slice(3).split("/")[0]),
            ),
        ];
        const commit = git("rev-parse", "--short", "HEAD").trim();
        return `commit ${commit}${dirs.length > 0 ? `, with uncommitted changes in ${dirs.join(", ")}` : ""}`;
    } catch {
        return "not a git checkout";
    }
}

function busy(): boolean {
    return Math.max(os.loadavg()[0] ?? 0, highestLoadSeen()) > BUSY_LOAD_PER_CORE * os.cpus().length;
}

function loadText(): string {
    return `${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")} (1, 5, 15 min)`;
}

function printApiCalls(options: BenchOptions, rows: OperationCalls[]): Verdict[] {
    heading(`1. API calls per operation: Z=${options.zones} zones x C=${options.certificates} certificates`);
    table(
        ["operation", "CertificatePriority", "baseline (no-op)", "target", ""],
        rows.map((r) => [r.operation, callText(r.priority), callText(r.baseline), r.target, mark(r.holds)]),
    );
    return rows
        .filter((r) => r.holds !== undefined)
        .map((r) => ({
            target: `API calls, ${r.operation}: ${r.target}`,
            holds: r.holds === true,
            why: callText(r.priority),
        }));
}

function callText(n: CallCount): string {
    const other = n.other > 0 ? ` ${n.other} other` : "";
    const errors = n.errors > 0 ? ` (${n.errors} errors)` : "";
    return `${n.get} GET ${n.put} PUT${other}${errors}`;
}

function printTimes(options: BenchOptions, sizes: SizeResult[]): Verdict[] {
    heading(
        `2. Wall time of pulumi preview and up: medians of ${options.previewReps} previews and ${options.reps} ups, ` +
            "stacks taking turns",
    );
    const rows = sizes.flatMap((s) =>
        (["preview", "up", "first up"] as const).map((command) => {
            const samples =
                command === "first up" ? { priority: [s.create.priority], baseline: [s.create.baseline] } : s[command];
            const wall = ratioOf(samples);
            return [
                String(s.n),
                `${command} (N ${command === "first up" ? "creates" : "updates"})`,
                seconds(wall.priority),
                seconds(wall.baseline),
                wall.ratio.toFixed(2),
                fastestRatio(samples).toFixed(2),
                cpuRatio(s, command),
                runs(samples),
            ];
        }),
    );
    table(
        ["N", "command", "CertificatePriority", "baseline (no-op)", "ratio", "fastest", "CPU", "each run, s (P | B)"],
        rows,
    );
    const sent = sizes.reduce((a, s) => a + s.baselineRequests, 0);
    console.log(
        "  ratio: of the medians; fastest: of the fastest runs; CPU: of the CPU time of the provider, program and engine\n" +
            "  processes together (medians), which other work on the machine disturbs least.\n" +
            `  The baseline stacks sent ${sent} API requests in all. Preview runs as \`pulumi preview\`, up as ` +
            "`pulumi up --skip-preview`.",
    );

    const ratios = sizes.map((s) => ratioOf(s.preview).ratio);
    const last = sizes[sizes.length - 1];
    const lastRatio = ratios[ratios.length - 1] ?? Number.NaN;
    const growth = lastRatio - (ratios[0] ?? lastRatio);
    const listed = sizes.map((s, i) => `N=${s.n}: ${ratios[i]?.toFixed(2)}`).join(", ");
    const others =
        last === undefined
            ? ""
            : `; fastest runs ${fastestRatio(last.preview).toFixed(2)}, CPU ${cpuRatio(last, "preview")}`;
    return [
        {
            target: `preview ratio at N=${last?.n} at most ${PREVIEW_RATIO_TARGET}`,
            holds: lastRatio <= PREVIEW_RATIO_TARGET,
            why: `ratio of medians ${lastRatio.toFixed(3)}${others}${busyNote()}`,
        },
        {
            target: `preview ratio does not grow with N (at most ${RATIO_GROWTH_TOLERANCE} more at the largest N than the smallest)`,
            holds: growth <= RATIO_GROWTH_TOLERANCE,
            why: `${listed} (${growth >= 0 ? "+" : ""}${growth.toFixed(3)}); CPU ${sizes.map((s) => cpuRatio(s, "preview")).join(", ")}${busyNote()}`,
        },
    ];
}

function fastestRatio(samples: Record<Kind, number[]>): number {
    return Math.min(...samples.priority) / Math.min(...samples.baseline);
}

function cpuRatio(s: SizeResult, command: Command): string {
    const cpu = (kind: Kind) => median(s.use[kind][command].map(cpuSecondsOf));
    const ratio = cpu("priority") / cpu("baseline");
    return Number.isFinite(ratio) ? ratio.toFixed(2) : "-";
}

function cpuSecondsOf(use: CommandUse): number {
    return (use.provider?.cpuSeconds ?? 0) + (use.program?.cpuSeconds ?? 0) + (use.engine?.cpuSeconds ?? 0);
}

function busyNote(): string {
    return busy() ? ` (the machine was busy, load up to ${highestLoadSeen().toFixed(1)}: wall times are noisy)` : "";
}

function ratioOf(samples: Record<Kind, number[]>): { priority: number; baseline: number; ratio: number } {
    const priority = median(samples.priority) / 1000;
    const baseline = median(samples.baseline) / 1000;
    return { priority, baseline, ratio: priority / baseline };
}

function runs(samples: Record<Kind, number[]>): string {
    const list = (ms: number[]) => ms.map((m) => (m / 1000).toFixed(1)).join(" ");
    return `${list(samples.priority)} | ${list(samples.baseline)}`;
}

async function printState(sizes: SizeResult[]): Promise<Verdict[]> {
    heading("3. Serialized provider and state size per resource (pulumi stack export)");
    const rows = sizes.flatMap((s) =>
        KINDS.map((kind) => {
            const st = s.state[kind];
            return [
                String(s.n),
                kind === "priority" ? "CertificatePriority" : "baseline (no-op)",
                `${st.providerBytes} B`,
                `${st.providerCopies} (${Math.round(st.providerBytes * st.providerCopies)} B)`,
                `${Math.round(st.stateBytesPerResource)} B`,
                kind === "priority" ? (st.carriesClient ? "yes" : "no") : "-",
            ];
        }),
    );
    table(["N", "stack", "__provider", "copies per resource", "whole state per resource", "client code inside"], rows);

    const worst = Math.max(...sizes.map((s) => s.state.priority.providerBytes));
    const copies = Math.max(...sizes.map((s) => s.state.priority.providerCopies));
    const carries = sizes.some((s) => s.state.priority.carriesClient);
    const baseline = Math.max(...sizes.map((s) => s.state.baseline.providerBytes));
    const linked = await linkedProviderBytes();
    console.log(
        `\nInstalled under node_modules, as above, Pulumi records the provider as a require of the package. ` +
            `Linked from outside node_modules (npm link, a workspace) it copies the stub by value: ${linked} B a copy, ` +
            `${linked * copies} B per resource.`,
    );
    return [
        {
            target: `serialized provider under ${PROVIDER_BYTES_TARGET} B per resource, whatever the client's size`,
            holds: worst * copies < PROVIDER_BYTES_TARGET && !carries,
            why:
                `${worst} B a copy (baseline ${baseline} B), ${carries ? "carries" : "loads, not carries,"} the client's code; ` +
                `Pulumi stores it ${copies} times per resource: ${worst * copies} B (baseline ${baseline * copies} B); ` +
                `a linked package: ${linked * copies} B`,
        },
    ];
}

function printThroughput(runsAt: ThroughputResult[], sizes: SizeResult[], quick: boolean): Verdict[] {
    const first = runsAt[0];
    if (first === undefined) {
        return [];
    }
    heading(
        `4. Throughput under a rate limit: first up of ${first.zones} zones, R=${first.rate} requests/s, 429 + retry-after past it`,
    );
    const floor = sizes.find((s) => s.n === first.zones)?.create.baseline;
    table(
        [
            "--parallel",
            "wall time",
            "ideal: admitted / R",
            "ratio",
            "first request to last answer",
            "answered 429",
            "failed zones",
            "exit",
        ],
        runsAt.map((t) => [
            t.parallel === undefined ? "default" : String(t.parallel),
            seconds(t.seconds),
            `${seconds(t.idealSeconds)} (${t.admitted} requests)`,
            (t.seconds / t.idealSeconds).toFixed(2),
            `${seconds(t.apiSeconds)} (${(t.apiSeconds / t.idealSeconds).toFixed(2)} x)`,
            String(t.limited),
            String(t.failedZones),
            String(t.exitCode),
        ]),
    );
    console.log(
        "  The ratio, which the target judges, is of the whole `pulumi up`, start-up included; the span from the first\n" +
            "  request to the last answer is the part the rate limit governs.",
    );
    if (floor !== undefined) {
        console.log(
            `  Baseline: the no-op stack's first up of ${first.zones} resources, with no limit, took ${seconds(floor / 1000)} (section 2).`,
        );
    }
    runsAt
        .flatMap((t) => t.errors)
        .slice(0, 3)
        .forEach((line) => console.log(`  ${line}`));

    return runsAt.map((t) => {
        const ratio = t.seconds / t.idealSeconds;
        // The stacks take 2-3 s to start, which the bound leaves out; under the few seconds of a
        // --quick run's bound that start-up alone would miss the target. A failure always counts.
        const judged = !quick || t.failedZones > 0 || t.exitCode !== 0;
        return {
            target: `throughput within ${THROUGHPUT_TARGET} x admitted requests / R, zero failed resources (--parallel ${t.parallel ?? "default"})`,
            holds: ratio <= THROUGHPUT_TARGET && t.failedZones === 0,
            judged,
            why:
                `${ratio.toFixed(3)} x the bound, ${t.failedZones} failed, ${t.limited} answered 429` +
                (judged ? "" : "; not judged in a --quick run, whose bound is mostly start-up"),
        };
    });
}

function printProcesses(sizes: SizeResult[], runsAt: ThroughputResult[]): void {
    heading(
        "5. Peak memory (VmHWM) of the provider process; CPU time of the provider, the program and the engine (pulumi CLI)",
    );
    const watched = sizes.reduce<SizeResult | undefined>(
        (big, s) => (big === undefined || s.n > big.n ? s : big),
        undefined,
    );
    const rows: string[][] = [];
    if (watched !== undefined) {
        const both = (show: (kind: Kind) => string) => KINDS.map(show);
        const ups = (kind: Kind) => [...watched.use[kind]["first up"], ...watched.use[kind].up];
        rows.push([
            `provider peak RSS, the ${watched.n}-resource ups`,
            ...both((kind) => mib(peakOf(ups(kind).map((u) => u.provider)))),
        ]);
        for (const command of ["preview", "up"] as const) {
            for (const role of ["provider", "program", "engine"] as const) {
                const cpu = (kind: Kind) => cpuOf(watched.use[kind][command].map((u) => u[role]));
                rows.push([`${role} CPU, ${command} of ${watched.n} (median)`, ...both(cpu)]);
            }
        }
    }
    for (const t of runsAt) {
        const label = `the ${t.zones}-zone up under the rate limit, --parallel ${t.parallel ?? "default"}`;
        rows.push([`provider peak RSS, ${label}`, mib(t.use.provider?.peakKb), "-"]);
    }
    table(["", "CertificatePriority", "baseline (no-op)"], rows);
}

function peakOf(uses: Array<ProcessUse | undefined>): number | undefined {
    const seen = uses.filter((u): u is ProcessUse => u !== undefined);
    return seen.length === 0 ? undefined : Math.max(...seen.map((u) => u.peakKb));
}

function cpuOf(uses: Array<ProcessUse | undefined>): string {
    const seen = uses.filter((u): u is ProcessUse => u !== undefined);
    return seen.length === 0 ? "not seen" : seconds(median(seen.map((u) => u.cpuSeconds)));
}

function mib(kb: number | undefined): string {
    return kb === undefined ? "not seen" : `${(kb / 1024).toFixed(1)} MiB`;
}

function printVerdicts(verdicts: Verdict[]): void {
    heading("Targets");
    verdicts.forEach((v) =>
        console.log(`  ${v.judged === false ? "n/a   " : v.holds ? "ok    " : "MISSED"}  ${v.target}: ${v.why}`),
    );
}

function seconds(value: number): string {
    return `${value.toFixed(2)} s`;
}

function mark(holds: boolean | undefined): string {
    return holds === undefined ? "" : holds ? "ok" : "MISSED";
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
    const options = readOptions(process.argv.slice(2), process.env);
    if (options === "help") {
        console.log(USAGE);
        return;
    }
    const machine = describeMachine(options);
    const verdicts: Verdict[] = [];
    const results: Record<string, unknown> = { machine, options: { ...options, sections: [...options.sections] } };
    progress("packing the package and laying out the bench programs beside it, as npm installs it");
    await installBenchPrograms();
    try {
        await runSections(options, verdicts, results);
    } finally {
        removeBenchPrograms();
    }

    printVerdicts(verdicts);

    console.log(
        `\nbenchmark finished in ${elapsedSeconds().toFixed(0)} s; load ${loadText()}, ` +
            `highest 1-minute load seen ${highestLoadSeen().toFixed(2)} on ${os.cpus().length} cores`,
    );
    if (options.json !== undefined) {
        writeFileSync(
            options.json,
            JSON.stringify({ ...results, verdicts, seconds: elapsedSeconds(), loadAtEnd: os.loadavg() }, null, 2),
        );
    }
}

async function runSections(
    options: BenchOptions,
    verdicts: Verdict[],
    results: Record<string, unknown>,
): Promise<void> {
    if (options.sections.has(1)) {
        const calls = await measureApiCalls(options);
        verdicts.push(...printApiCalls(options, calls));
        results["calls"] = calls;
    }

    let sizes: SizeResult[] = [];
    if (options.sections.has(2) || options.sections.has(3) || options.sections.has(5)) {
        sizes = await measureSizes(options);
        verdicts.push(...printTimes(options, sizes), ...(await printState(sizes)));
        results["sizes"] = sizes;
    }

    const throughput: ThroughputResult[] = [];
    if (options.sections.has(4)) {
        for (const parallel of options.parallel) {
            throughput.push(await measureThroughput(options, parallel));
        }
        verdicts.push(...printThroughput(throughput, sizes, options.quick));
        results["throughput"] = throughput;
    }
    if (sizes.length > 0 || throughput.length > 0) {
        printProcesses(sizes, throughput);
    }
}

main().catch((err: unknown) => {
    console.error(`benchmark failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
});
