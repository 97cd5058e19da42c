import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

import { startEmulator, type Emulator } from "../../emulator";
import { installedLayout, manifest, pack, repoRoot } from "../../scripts/package-layout";
import { LocalStack } from "../../scripts/stack";
import { requirePulumiCli } from "../support/pulumiCli";
import { e2eSeed, TOKEN, ZONES } from "./fixtures";
import { deploymentOf, NO_AMBIENT_CREDENTIALS, priorityResources, writes } from "./helpers";

const run = promisify(execFile);
const UPGRADE_VERSION = "0.1.1";

const [P1, P2, P3] = ZONES.primary.order as [string, string, string];
const [S1, S2] = ZONES.second.order as [string, string];
const [T1, T2] = ZONES.third.order as [string, string];

// A user's program: one CertificateOrder over two zones (each certificate names its zone), and a
// CertificatePriority with its own numbers in a third.
const PROGRAM = `import { CertificateOrder, CertificatePriority } from "${manifest.name}";

const order = new CertificateOrder("tls", {
    certificates: [
        { id: "${P3}", zoneId: "${ZONES.primary.id}" },
        { id: "${S2}", zoneId: "${ZONES.second.id}" },
        { id: "${P1}", zoneId: "${ZONES.primary.id}" },
        { id: "${P2}", zoneId: "${ZONES.primary.id}" },
        { id: "${S1}", zoneId: "${ZONES.second.id}" },
    ],
});

new CertificatePriority("third-zone", {
    zoneId: "${ZONES.third.id}",
    certificates: [
        { id: "${T1}", priority: 10 },
        { id: "${T2}", priority: 20 },
    ],
});

export const priorities = order.priorities;
export const zoneIds = order.zoneIds;
`;

// The package as npm publishes it, installed into a new Pulumi project outside the repository, driven
// through the real CLI against the emulator; then upgraded in place, with the old state still to refresh
// and destroy. The steps build on each other, so they run in order on one stack.
describe("the packed package in a new Pulumi project (end to end)", function () {
    this.timeout(300_000);

    let workDir: string;
    let projectDir: string;
    let tarball: string;
    let packedFiles: string[];
    let emulator: Emulator;
    let proxy: RecordingProxy;
    let stack: LocalStack;
    let seeded: Map<string, Map<string, number | undefined>>;

    before(async function () {
        requirePulumiCli(this);
        workDir = mkdtempSync(path.join(tmpdir(), "cf-priority-package-"));
        ({ tarball, files: packedFiles } = await pack(repoRoot, path.join(workDir, "packs")));

        projectDir = path.join(workDir, "project");
        mkdirSync(projectDir);
        writeProject(projectDir);
        await npmInstall(projectDir, [tarball, ...sameVersionsAsRepo(["@pulumi/pulumi", "typescript", "ts-node"])]);

        emulator = await startEmulator({ seed: e2eSeed() });
        proxy = await startRecordingProxy(emulator.url);
        seeded = new Map(Object.values(ZONES).map((zone) => [zone.id, prioritiesIn(emulator, zone.id)]));
        stack = new LocalStack({
            projectDir,
            stack: "packed",
            env: {
                CLOUDFLARE_BASE_URL: `${proxy.url}/client/v4`,
                ...NO_AMBIENT_CREDENTIALS,
                // Types are checked once, by tsc, in their own test below.
                PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            },
        });
        await stack.init();
        await stack.setConfig("cloudflare:apiToken", TOKEN, true);
    });

    after(async () => {
        stack?.dispose();
        await proxy?.close();
        await emulator?.close();
        if (workDir !== undefined) {
            rmSync(workDir, { recursive: true, force: true });
        }
    });

    beforeEach(() => {
        emulator?.clearRequests();
        proxy?.clear();
    });

    it("packs compiled JavaScript, declarations and the emulator's seed, and nothing from tests or examples", () => {
        const allowed =
            /^(package\.json|README\.md|CHANGELOG\.md|LICENSE|emulator\/seed\.json|dist\/index\.(js|d\.ts|js\.map)|dist\/(provider|components|emulator)\/[\w.-]+\.(js|d\.ts|js\.map))$/;

        assert.deepEqual(
            packedFiles.filter((file) => !allowed.test(file)),
            [],
        );
        for (const entry of ["index", "provider/index", "components/index", "emulator/index"]) {
            assert.ok(packedFiles.includes(`dist/${entry}.js`), `dist/${entry}.js is packed`);
            assert.ok(packedFiles.includes(`dist/${entry}.d.ts`), `dist/${entry}.d.ts is packed`);
        }
    });

    it("installs with @pulumi/pulumi as a peer, and type-checks a program against the packed declarations", async () => {
        const installed = readJson(path.join(projectDir, "node_modules", manifest.name, "package.json"));

        assert.equal(installed["version"], manifest.version);
        assert.deepEqual(Object.keys(installed["peerDependencies"] as object), ["@pulumi/pulumi"]);
        assert.ok(!("@pulumi/pulumi" in (installed["dependencies"] as object)));
        await run(process.execPath, [
            path.join(projectDir, "node_modules", "typescript", "bin", "tsc"),
            "-p",
            projectDir,
        ]);
    });

    it("previews the creation without calling the API to write", async () => {
        const result = await stack.run(["preview", "--diff"]);

        assert.match(result.stdout, /\+ .*CertificateOrder/);
        assert.match(result.stdout, /\+ 5 to create/);
        assert.deepEqual(writes(emulator), []);
    });

    it("applies each zone's order with one PUT per zone", async () => {
        await stack.run(["up", "--yes", "--skip-preview"]);

        assert.deepEqual(writtenZones(emulator), [ZONES.primary.id, ZONES.second.id, ZONES.third.id].sort());
        assert.deepEqual(prioritiesOf(emulator, ZONES.primary.id, [P3, P1, P2]), [1, 2, 3]);
        assert.deepEqual(prioritiesOf(emulator, ZONES.second.id, [S2, S1]), [1, 2]);
        assert.deepEqual(prioritiesOf(emulator, ZONES.third.id, [T1, T2]), [10, 20]);
        assert.ok(proxy.userAgents().every((agent) => agent.startsWith(`${manifest.name}/${manifest.version} `)));
    });

    it("records the provider in the state as a require of the installed package, not a copy of its code", async () => {
        const resources = priorityResources(await deploymentOf(stack));
        const recorded = resources.flatMap((r) =>
            ["inputs", "outputs"].map((side) => (r[side] as Record<string, unknown>)["__provider"]),
        );

        assert.equal(recorded.length, 6); // three resources, each in its inputs and its outputs
        for (const provider of recorded) {
            assert.equal(typeof provider, "string");
            assert.match(provider as string, new RegExp(`require\\("${manifest.name}/dynamic-provider"\\)`));
            assert.doesNotMatch(provider as string, /createRequire|undici|CloudflareClient/);
            assert.ok(Buffer.byteLength(provider as string) < 1024, `${Buffer.byteLength(provider as string)} B`);
        }
    });

    it("refreshes from the installed package, recording a change made behind Pulumi's back", async () => {
        emulator.setCertificate(ZONES.second.id, S1, { priority: 9 });

        const result = await stack.run(["refresh", "--yes", "--skip-preview"]);

        assert.match(result.stdout, /1 updated/);
        assert.deepEqual(writes(emulator), []);
        assert.equal(recordedPriority(await stack.exportState(), `tls-${ZONES.second.id}`, S1), 9);
    });

    it("destroys, restoring every zone's priorities from before", async () => {
        const result = await stack.run(["destroy", "--yes", "--skip-preview"]);

        assert.match(result.stdout, /5 deleted/);
        for (const zone of Object.values(ZONES)) {
            assert.deepEqual(prioritiesIn(emulator, zone.id), seeded.get(zone.id), `zone ${zone.id}`);
        }
    });

    it(`refreshes state written by ${manifest.version} after an upgrade to ${UPGRADE_VERSION}`, async () => {
        await stack.run(["up", "--yes", "--skip-preview"]);
        const upgrade = await restampedPackage(tarball, UPGRADE_VERSION, path.join(workDir, "upgrade"));
        await npmInstall(projectDir, [upgrade]);
        assert.equal(
            readJson(path.join(projectDir, "node_modules", manifest.name, "package.json"))["version"],
            UPGRADE_VERSION,
        );
        // The upgraded program records the same `__provider`, so the upgrade alone changes nothing.
        await stack.run(["preview", "--expect-no-changes"]);
        emulator.setCertificate(ZONES.primary.id, P2, { priority: 8 });
        emulator.clearRequests();
        proxy.clear();

        const result = await stack.run(["refresh", "--yes", "--skip-preview"]);

        assert.match(result.stdout, /1 updated/);
        assert.equal(recordedPriority(await stack.exportState(), `tls-${ZONES.primary.id}`, P2), 8);
        assert.deepEqual(writes(emulator), []);
        assertOnlyVersion(proxy, UPGRADE_VERSION);
    });

    it(`destroys state written by ${manifest.version} with ${UPGRADE_VERSION}, restoring the priorities`, async () => {
        const result = await stack.run(["destroy", "--yes", "--skip-preview"]);

        assert.match(result.stdout, /5 deleted/);
        for (const zone of Object.values(ZONES)) {
            assert.deepEqual(prioritiesIn(emulator, zone.id), seeded.get(zone.id), `zone ${zone.id}`);
        }
        assertOnlyVersion(proxy, UPGRADE_VERSION);
    });
});

// npm workspaces may install the SDK at the top and nest the package below it, in the project's own
// node_modules. Pulumi then cannot see the package from the SDK's folder and records the stub by its
// file path instead of its entry name; the package exports that path too, so both forms load.
describe("the packed package nested below the Pulumi SDK, as npm workspaces may install it (end to end)", function () {
    this.timeout(240_000);

    let layout: { root: string; dispose(): void };
    let emulator: Emulator;
    let stack: LocalStack;

    before(async function () {
        requirePulumiCli(this);
        layout = await installedLayout([], { packageUnder: "infra" });
        const projectDir = path.join(layout.root, "infra");
        writeFileSync(
            path.join(projectDir, "Pulumi.yaml"),
            "name: certificate-priority-nested\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n",
        );
        writeFileSync(
            path.join(projectDir, "index.ts"),
            `import { CertificatePriority } from "${manifest.name}";\n\n` +
                `new CertificatePriority("nested", {\n    zoneId: "${ZONES.primary.id}",\n` +
                `    certificates: [{ id: "${P3}", priority: 1 }, { id: "${P1}", priority: 2 }, { id: "${P2}", priority: 3 }],\n});\n`,
        );
        emulator = await startEmulator({ seed: e2eSeed() });
        stack = new LocalStack({
            projectDir,
            stack: "nested",
            env: {
                CLOUDFLARE_BASE_URL: emulator.apiBaseUrl,
                ...NO_AMBIENT_CREDENTIALS,
                CLOUDFLARE_API_TOKEN: TOKEN,
                PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            },
        });
        await stack.init();
    });

    after(async () => {
        stack?.dispose();
        await emulator?.close();
        layout?.dispose();
    });

    it("applies, refreshes and destroys, the state naming the stub by its file path", async () => {
        const seeded = prioritiesIn(emulator, ZONES.primary.id);

        await stack.run(["up", "--yes", "--skip-preview"]);
        assert.deepEqual(prioritiesOf(emulator, ZONES.primary.id, [P3, P1, P2]), [1, 2, 3]);
        const [resource] = priorityResources(await deploymentOf(stack));
        const recorded = String((resource?.["inputs"] as Record<string, unknown>)["__provider"]);
        assert.match(recorded, new RegExp(`require\\("${manifest.name}/dist/provider/dynamic-provider\\.js"\\)`));
        assert.ok(Buffer.byteLength(recorded) < 1024, `${Buffer.byteLength(recorded)} B`);

        emulator.setCertificate(ZONES.primary.id, P1, { priority: 7 });
        const refresh = await stack.run(["refresh", "--yes", "--skip-preview"]);
        assert.match(refresh.stdout, /1 updated/);

        await stack.run(["destroy", "--yes", "--skip-preview"]);
        assert.deepEqual(prioritiesIn(emulator, ZONES.primary.id), seeded);
    });
});

function writeProject(dir: string): void {
    const name = "certificate-priority-packed";
    writeFileSync(
        path.join(dir, "package.json"),
        `${JSON.stringify({ name, private: true, main: "index.ts" }, null, 2)}\n`,
    );
    writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`,
    );
    const compilerOptions = {
        strict: true,
        target: "ES2022",
        module: "node16",
        moduleResolution: "node16",
        skipLibCheck: true,
        noEmit: true,
        types: [],
    };
    writeFileSync(
        path.join(dir, "tsconfig.json"),
        `${JSON.stringify({ compilerOptions, files: ["index.ts"] }, null, 2)}\n`,
    );
    writeFileSync(path.join(dir, "index.ts"), PROGRAM);
}

// The same package under a newer version: unpacked, restamped and packed again, so only the version differs.
async function restampedPackage(tarball: string, version: string, staging: string): Promise<string> {
    mkdirSync(staging, { recursive: true });
    await run("tar", ["-xzf", tarball, "-C", staging]);
    const packageDir = path.join(staging, "package");
    const packageJson = path.join(packageDir, "package.json");
    writeFileSync(packageJson, `${JSON.stringify({ ...readJson(packageJson), version }, null, 2)}\n`);
    return (await pack(packageDir, path.join(staging, "packs"))).tarball;
}

async function npmInstall(dir: string, specs: string[]): Promise<void> {
    await run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...specs], {
        cwd: dir,
    });
}

function sameVersionsAsRepo(names: string[]): string[] {
    return names.map(
        (name) => `${name}@${readJson(path.join(repoRoot, "node_modules", name, "package.json"))["version"]}`,
    );
}

function readJson(file: string): Record<string, unknown> {
    return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
}

/** A loopback HTTP proxy in front of the emulator that remembers each request's User-Agent. */
interface RecordingProxy {
    url: string;
    userAgents(): string[];
    clear(): void;
    close(): Promise<void>;
}

// The client's User-Agent carries the version of the package that sent it: the proof of which version ran.
async function startRecordingProxy(target: string): Promise<RecordingProxy> {
    const agents: string[] = [];
    const upstream = new URL(target);
    const server = http.createServer((req, res) => {
        agents.push(String(req.headers["user-agent"] ?? ""));
        const forward = http.request(
            { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
            (answer) => {
                res.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(res);
            },
        );
        forward.on("error", () => res.destroy());
        req.pipe(forward);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));

    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        userAgents: () => [...agents],
        clear: () => void agents.splice(0),
        close: () => new Promise((resolve) => server.close(() => resolve())),
    };
}

function assertOnlyVersion(proxy: RecordingProxy, version: string): void {
    const agents = proxy.userAgents();
    assert.ok(agents.length > 0, "the provider called the API");
    assert.deepEqual(
        agents.filter((agent) => !agent.startsWith(`${manifest.name}/${version} `)),
        [],
        `every call came from version ${version}`,
    );
}

function writtenZones(emulator: Emulator): string[] {
    return writes(emulator)
        .map((r) => /\/zones\/([^/]+)\/custom_certificates\/prioritize$/.exec(r.path)?.[1] ?? `${r.method} ${r.path}`)
        .sort();
}

function prioritiesIn(emulator: Emulator, zoneId: string): Map<string, number | undefined> {
    return new Map(emulator.certificates(zoneId).map((c) => [c.id, c.priority]));
}

function prioritiesOf(emulator: Emulator, zoneId: string, ids: string[]): Array<number | undefined> {
    const priorities = prioritiesIn(emulator, zoneId);
    return ids.map((id) => priorities.get(id));
}

function recordedPriority(
    state: { deployment: { resources?: Array<Record<string, unknown>> } },
    name: string,
    id: string,
): unknown {
    const resource = (state.deployment.resources ?? []).find((r) => String(r["urn"]).endsWith(`::${name}`));
    assert.ok(resource, `the state holds ${name}`);
    const outputs = resource["outputs"] as { certificates?: Array<{ id: string; priority: unknown }> };
    return outputs.certificates?.find((c) => c.id === id)?.priority;
}
