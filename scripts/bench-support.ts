// What the benchmark (scripts/bench.ts) drives and measures with: the seed and plans of its
// zones, throwaway stacks of the two bench programs (examples/bench/), and the memory and CPU time
// of the processes a Pulumi command starts, read from /proc.

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

import * as pulumi from "@pulumi/pulumi";

import type { Emulator, Seed } from "../emulator";
import * as dynamicProvider from "../provider/dynamic-provider";
import { installedLayout } from "./package-layout";
import { LocalStack, type CommandResult } from "./stack";

/** The API token the benchmark's emulators accept; it opens nothing else. */
export const BENCH_TOKEN = "bench-emulator-token-not-a-real-secret";

/** The two bench programs: CertificatePriority, and the no-op baseline. */
export type Kind = "priority" | "baseline";

export const KINDS: readonly Kind[] = ["priority", "baseline"];

// ---------------------------------------------------------------------------------------------
// Seeds and plans. Zone i holds C certificates. The seed and the two revisions of a plan give
// them three different orders, so every first up and every flip of revision changes every zone.

/** The id of the benchmark's i-th zone. */
export function zoneIdOf(i: number): string {
    return `be${i.toString(16).padStart(30, "0")}`;
}

/** The id of the j-th certificate of zone i, in the UUID form real certificate ids take. */
export function certificateIdOf(i: number, j: number): string {
    return `${i.toString(16).padStart(8, "0")}-${j.toString(16).padStart(4, "0")}-4000-8000-bebebebebebe`;
}

const STATUSES = ["active", "active", "active", "pending", "expired"] as const;

function seededPriority(j: number, certificateCount: number): number {
    return (certificateCount - j) * 10;
}

/** An emulator seed of `zoneCount` zones with `certificateCount` certificates each, mixed statuses. */
export function benchSeed(zoneCount: number, certificateCount: number): Seed {
    const zones = Array.from({ length: zoneCount }, (_, i) => {
        const name = `zone-${i}.bench.example`;
        return {
            id: zoneIdOf(i),
            name,
            certificates: Array.from({ length: certificateCount }, (_, j) => ({
                id: certificateIdOf(i, j),
                hosts: [name, `*.${name}`],
                issuer: j % 2 === 0 ? "DigiCert" : "GlobalSign",
                signature: j % 2 === 0 ? "ECDSAWithSHA256" : "SHA256WithRSA",
                status: STATUSES[j % STATUSES.length] ?? "active",
                priority: seededPriority(j, certificateCount),
                uploaded_on: "2026-01-05T10:00:00Z",
                expires_on: "2027-06-01T00:00:00Z",
            })),
        };
    });
    return { tokens: [BENCH_TOKEN], zones };
}

/** One zone and the priorities a bench stack declares; the plan file's shape, as examples/bench/plan.ts reads it. */
export interface PlannedZone {
    zoneId: string;
    certificates: Array<{ id: string; priority: number }>;
}

/**
 * Zones first..first+count-1, each declared in the revision `revisionOf` gives it: revision 0
 * prefers certificate 0, revision 1 the last one.
 */
export function plan(
    first: number,
    count: number,
    certificateCount: number,
    revisionOf: (i: number) => number,
): PlannedZone[] {
    return Array.from({ length: count }, (_, k) => {
        const i = first + k;
        const revision = revisionOf(i);
        const certificates = Array.from({ length: certificateCount }, (_, j) => ({
            id: certificateIdOf(i, j),
            priority: revision % 2 === 0 ? j + 1 : certificateCount - j,
        }));
        return { zoneId: zoneIdOf(i), certificates };
    });
}

/** The priorities the seed gives, as a plan: what destroy must put back. */
export function seededZones(count: number, certificateCount: number): PlannedZone[] {
    return Array.from({ length: count }, (_, i) => ({
        zoneId: zoneIdOf(i),
        certificates: Array.from({ length: certificateCount }, (_, j) => ({
            id: certificateIdOf(i, j),
            priority: seededPriority(j, certificateCount),
        })),
    }));
}

/** Zones whose certificates in the emulator do not hold the planned priorities. */
export function unappliedZones(emulator: Emulator, zones: PlannedZone[]): string[] {
    return zones
        .filter((zone) => {
            const live = new Map(emulator.certificates(zone.zoneId).map((c) => [c.id, c.priority]));
            return zone.certificates.some((c) => live.get(c.id) !== c.priority);
        })
        .map((zone) => zone.zoneId);
}

// ---------------------------------------------------------------------------------------------
// Stacks

export const UP = ["up", "--yes", "--skip-preview"];
export const PREVIEW = ["preview"];
export const REFRESH = ["refresh", "--yes", "--skip-preview"];
export const DESTROY = ["destroy", "--yes", "--skip-preview"];

// The bench programs run where a user's program would: beside the package as `npm pack` publishes
// it, installed under node_modules. That is what decides how Pulumi serializes the provider.
let installed: { root: string; dispose(): void } | undefined;

/** Lays out the bench programs beside the packed package; once, before any stack opens. */
export async function installBenchPrograms(): Promise<void> {
    installed ??= await installedLayout([path.join("examples", "bench")]);
}

export function removeBenchPrograms(): void {
    installed?.dispose();
    installed = undefined;
}

/** A throwaway stack of one of the two bench programs, declaring what its plan file holds. */
export class BenchStack {
    readonly planFile: string;
    /** The plan revision the last up applied; -1 before the first. */
    applied = -1;

    private constructor(
        readonly kind: Kind,
        readonly stack: LocalStack,
    ) {
        this.planFile = path.join(stack.workDir, "plan.json");
    }

    /** Creates the stack against the emulator; `label` keeps its name apart from other bench stacks. */
    static async open(kind: Kind, label: string, emulator: Emulator): Promise<BenchStack> {
        const stack = new LocalStack({
            projectDir: path.join(benchProgramsRoot(), "examples", "bench", kind),
            // Pulumi.<stack>.yaml lands beside Pulumi.yaml for a moment; the pid keeps two runs apart.
            stack: `bench-${process.pid}-${label}`,
            env: {
                CLOUDFLARE_BASE_URL: emulator.apiBaseUrl,
                CLOUDFLARE_API_TOKEN: BENCH_TOKEN,
                CLOUDFLARE_API_KEY: undefined,
                CLOUDFLARE_EMAIL: undefined,
                CLOUDFLARE_PRIORITY_DEBUG: undefined,
                // Type checking the program is a fixed cost, the same for both programs; it would
                // only dilute the ratio, and users who type check in a build step switch it off too.
                PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            },
        });

        const bench = new BenchStack(kind, stack);
        try {
            await stack.init();
            await stack.setConfig("plan", bench.planFile);
        } catch (err) {
            stack.dispose();
            throw err;
        }
        return bench;
    }

    /** An environment entry only this stack's processes carry: the CLI hands it to the provider. */
    get processMarker(): string {
        return `PULUMI_BACKEND_URL=file://${this.stack.backendDir}`;
    }

    /** Writes the plan file the program reads on its next run. */
    declare(zones: PlannedZone[]): void {
        writeFileSync(this.planFile, JSON.stringify({ zones }));
    }

    /** Runs one CLI command and measures its wall time, from start to exit. */
    async timed(args: string[], allowFailure = false): Promise<{ ms: number; result: CommandResult }> {
        progress(`pulumi ${args.join(" ")} (${this.stack.stack})`);
        const started = performance.now();
        const result = await this.stack.run(args, allowFailure);
        return { ms: performance.now() - started, result };
    }

    dispose(): void {
        this.stack.dispose();
    }
}

/**
 * The `__provider` Pulumi records when the package is not under node_modules (npm link, a workspace):
 * this process loads the stub from the repository, so Pulumi's serializer copies it by value.
 */
export async function linkedProviderBytes(): Promise<number> {
    const serialized = await pulumi.runtime.serializeFunction(() => dynamicProvider, { allowSecrets: true });
    return Buffer.byteLength(serialized.text);
}

function benchProgramsRoot(): string {
    if (installed === undefined) {
        throw new Error("installBenchPrograms() must run before a bench stack opens");
    }
    return installed.root;
}

/** Checks the count on the summary line of a preview or an up, so no timing measures the wrong work. */
export function expectSummary(result: CommandResult, word: "to update" | "created" | "updated", count: number): void {
    const match = new RegExp(`^\\s*[-+~]\\s+(\\d+) ${word}\\s*$`, "m").exec(result.stdout);
    const seen = match === null ? 0 : Number(match[1]);
    if (seen !== count) {
        throw new Error(`expected pulumi ${result.args[0]} to report ${count} ${word}, saw ${seen}:\n${result.stdout}`);
    }
}

// Processes: the Pulumi CLI (the engine), and the dynamic-provider process and the program process
// (the Node.js language runtime) it starts, polled from /proc while a command runs: peak resident
// set (VmHWM) and CPU time. Both only grow, so the last poll before a process exits holds its total,
// give or take its last 50 ms.

/** What the processes of one role used over one command. */
export interface ProcessUse {
    /** Peak resident set of the largest process, in KiB. */
    peakKb: number;
    /** CPU time (user and system) of all of them, in seconds. */
    cpuSeconds: number;
    processes: number;
}

/** What each role used over one command; undefined where none was seen. */
export interface CommandUse {
    provider: ProcessUse | undefined;
    program: ProcessUse | undefined;
    engine: ProcessUse | undefined;
}

/** The processes of one command: the dynamic provider, the program, and the CLI with its engine. */
export type Role = keyof CommandUse;

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux architecture Node.js supports

class ProcessWatcher {
    readonly #marker: string;
    readonly #roles = new Map<number, Role | undefined>();
    readonly #last = new Map<number, { kb: number; ticks: number }>();
    #timer: NodeJS.Timeout | undefined;

    constructor(marker: string) {
        this.#marker = marker;
    }

    start(): void {
        this.#timer = setInterval(() => this.poll(), 50);
    }

    stop(): CommandUse {
        clearInterval(this.#timer);
        this.poll();
        return { provider: this.total("provider"), program: this.total("program"), engine: this.total("engine") };
    }

    private total(role: Role): ProcessUse | undefined {
        const mine = [...this.#roles]
            .filter(([, r]) => r === role)
            .map(([pid]) => this.#last.get(pid) ?? { kb: 0, ticks: 0 });
        if (mine.length === 0) {
            return undefined;
        }
        return {
            peakKb: Math.max(...mine.map((m) => m.kb)),
            cpuSeconds: mine.reduce((sum, m) => sum + m.ticks, 0) / CLOCK_TICKS_PER_SECOND,
            processes: mine.length,
        };
    }

    private poll(): void {
        for (const entry of readdirSync("/proc")) {
            const pid = Number(entry);
            if (!Number.isInteger(pid)) {
                continue;
            }
            if (!this.#roles.has(pid)) {
                this.#roles.set(pid, this.roleOf(pid));
            }
            if (this.#roles.get(pid) !== undefined) {
                const kb = vmHwmKb(pid);
                const ticks = cpuTicks(pid);
                const last = this.#last.get(pid) ?? { kb: 0, ticks: 0 };
                this.#last.set(pid, { kb: Math.max(last.kb, kb ?? 0), ticks: Math.max(last.ticks, ticks ?? 0) });
            }
        }
    }

    // The shim (pulumi-resource-pulumi-nodejs) first runs `node -e "require.resolve(…)"` to find
    // the provider script; only the process running that script counts.
    private roleOf(pid: number): Role | undefined {
        const argv = readProc(pid, "cmdline")?.split("\0") ?? [];
        const role: Role | undefined = argv.includes("-e")
            ? undefined
            : argv.some((arg) => /dynamic-provider(\/index\.js)?$/.test(arg))
              ? "provider"
              : argv.some((arg) => /@pulumi\/pulumi\/cmd\/run(\/index\.js)?$/.test(arg))
                ? "program"
                : path.basename(argv[0] ?? "") === "pulumi"
                  ? "engine"
                  : undefined;
        if (role === undefined) {
            return undefined;
        }
        return (readProc(pid, "environ")?.split("\0") ?? []).includes(this.#marker) ? role : undefined;
    }
}

function readProc(pid: number, file: string): string | undefined {
    try {
        return readFileSync(`/proc/${pid}/${file}`, "utf8");
    } catch {
        return undefined; // exited already, or not ours to read
    }
}

function vmHwmKb(pid: number): number | undefined {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readProc(pid, "status") ?? "");
    return match === null ? undefined : Number(match[1]);
}

// utime and stime are the 14th and 15th fields of /proc/<pid>/stat; the 2nd, the command name in
// parentheses, may hold spaces, so count from the last ")".
function cpuTicks(pid: number): number | undefined {
    const stat = readProc(pid, "stat");
    if (stat === undefined) {
        return undefined;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
}

/** Runs a command while watching the stack's provider and program processes. */
export async function watchingProcesses<T>(
    stack: BenchStack,
    run: () => Promise<T>,
): Promise<{ value: T; use: CommandUse }> {
    const watcher = new ProcessWatcher(stack.processMarker);
    watcher.start();
    try {
        const value = await run();
        return { value, use: watcher.stop() };
    } finally {
        watcher.stop();
    }
}

// ---------------------------------------------------------------------------------------------
// Output

const startedAt = performance.now();

/** Seconds since the benchmark started. */
export function elapsedSeconds(): number {
    return (performance.now() - startedAt) / 1000;
}

let highestLoad = 0;

/** The highest 1-minute load average seen when a command started. */
export function highestLoadSeen(): number {
    return highestLoad;
}

/** One progress line on stderr, so the figures on stdout stay clean. */
export function progress(text: string): void {
    highestLoad = Math.max(highestLoad, os.loadavg()[0] ?? 0);
    process.stderr.write(`[bench ${elapsedSeconds().toFixed(0).padStart(4)} s] ${text}\n`);
}

export function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Prints rows under a header, each column as wide as its widest cell. */
export function table(header: string[], rows: string[][]): void {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
    const line = (cells: string[]) => `  ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd();
    console.log(line(header));
    console.log(line(widths.map((w) => "-".repeat(w))));
    rows.forEach((r) => console.log(line(r)));
}

export function heading(text: string): void {
    console.log(`\n=== ${text} ===`);
}
