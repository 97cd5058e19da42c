// The package as npm publishes it, and a project laid out as npm installs it: used by the benchmark,
// which measures what users get, and by the end-to-end test of the packed package.

import { execFile } from "node:child_process";
import {
    cpSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The repository: the nearest folder above this file with a package.json, run from source or from dist. */
export const repoRoot = ((dir: string): string => {
    while (!existsSync(path.join(dir, "package.json"))) {
        dir = path.dirname(dir);
    }
    return dir;
})(path.resolve(__dirname, ".."));

/** The repository's package.json: the name and version npm publishes. */
export const manifest = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as {
    name: string;
    version: string;
};

/** `npm pack` of the package in `from` into the folder `into`; returns the tarball and the files it holds. */
export async function pack(from: string, into: string): Promise<{ tarball: string; files: string[] }> {
    mkdirSync(into, { recursive: true });
    const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", into], { cwd: from });
    const [result] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    if (result === undefined) {
        throw new Error(`npm pack in ${from} reported nothing packed`);
    }
    return { tarball: path.join(into, result.filename), files: result.files.map((f) => f.path).sort() };
}

// Pulumi's closure serializer looks packages up from its own folder, as it would in a real install,
// so the SDK is copied; a link would resolve to the repository, where the package is not installed.
const COPIED = new Set([path.join("@pulumi", "pulumi")]);

function linkDependencies(from: string, to: string, scope = ""): void {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from)) {
        const name = path.join(scope, entry);
        if (name === manifest.name || entry.startsWith(".")) {
            continue;
        }
        if (entry.startsWith("@")) {
            linkDependencies(path.join(from, entry), path.join(to, entry), entry);
        } else if (COPIED.has(name)) {
            cpSync(path.join(from, entry), path.join(to, entry), { recursive: true });
        } else {
            symlinkSync(path.join(from, entry), path.join(to, entry));
        }
    }
}

/**
 * A temporary folder laid out as npm installs the package, without network or npm install: the
 * packed package unpacked under node_modules (a real folder, so Pulumi treats it as installed),
 * beside the dependencies the repository has installed, linked. `folders` are copied in from the
 * repository, with tsconfig.json, so their programs resolve the package from there. With
 * `packageUnder`, the package goes into that subfolder's own node_modules instead, below the rest,
 * as npm workspaces may nest it.
 */
export async function installedLayout(
    folders: string[],
    options: { packageUnder?: string } = {},
): Promise<{ root: string; dispose(): void }> {
    const root = mkdtempSync(path.join(tmpdir(), "cf-priority-installed-"));
    try {
        const { tarball } = await pack(repoRoot, path.join(root, "packs"));
        const packageDir = path.join(root, options.packageUnder ?? "", "node_modules", manifest.name);
        mkdirSync(packageDir, { recursive: true });
        await run("tar", ["-xzf", tarball, "-C", packageDir, "--strip-components=1"]);
        linkDependencies(path.join(repoRoot, "node_modules"), path.join(root, "node_modules"));
        for (const folder of [...folders, "tsconfig.json"]) {
            cpSync(path.join(repoRoot, folder), path.join(root, folder), { recursive: true });
        }
        writeFileSync(
            path.join(root, "package.json"),
            `${JSON.stringify({ name: "installed-layout", private: true })}\n`,
        );
    } catch (err) {
        rmSync(root, { recursive: true, force: true });
        throw err;
    }
    return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}
