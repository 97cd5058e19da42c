import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** What one Pulumi CLI command printed and how it ended. */
export interface CommandResult {
    args: string[];
    code: number;
    stdout: string;
    stderr: string;
}

/** Options for a throwaway stack on a local file backend. */
export interface StackOptions {
    /** The folder holding Pulumi.yaml. */
    projectDir: string;
    /** The stack name; defaults to "dev". */
    stack?: string;
    /** Extra environment for every command (for example CLOUDFLARE_BASE_URL). */
    env?: Record<string, string | undefined>;
    /** Echo the CLI's output while it runs. */
    echo?: boolean;
}

/** Thrown when a Pulumi command exits non-zero; carries everything it printed. */
export class PulumiCommandError extends Error {
    constructor(readonly result: CommandResult) {
        super(`pulumi ${result.args.join(" ")} exited with ${result.code}\n${result.stdout}\n${result.stderr}`);
        this.name = "PulumiCommandError";
    }
}

/**
 * A Pulumi stack on a private file backend in a temporary folder, driven through the real CLI.
 * Nothing it writes lands in the project folder: stack config goes to a file in the same temp folder.
 */
export class LocalStack {
    readonly workDir: string;
    readonly backendDir: string;
    readonly configFile: string;
    readonly stack: string;
    private readonly env: NodeJS.ProcessEnv;

    constructor(private readonly options: StackOptions) {
        this.workDir = mkdtempSync(join(tmpdir(), "cf-priority-stack-"));
        this.backendDir = join(this.workDir, "backend");
        this.configFile = join(this.workDir, "Pulumi.stack.yaml");
        this.stack = options.stack ?? "dev";
        mkdirSync(this.backendDir);
        this.env = {
            ...process.env,
            PULUMI_BACKEND_URL: `file://${this.backendDir}`,
            PULUMI_HOME: join(this.workDir, "home"),
            PULUMI_CONFIG_PASSPHRASE: "throwaway-local-passphrase",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
            PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
            NO_COLOR: "1",
            ...options.env,
        };
        for (const [name, value] of Object.entries(this.env)) {
            if (value === undefined) {
                delete this.env[name];
            }
        }
    }

    /** Creates the stack on the private backend. */
    async init(): Promise<void> {
        // `stack init` has no --config-file flag: it writes the stack's settings file next to
        // Pulumi.yaml. Move it into the temporary folder, and never overwrite a user's own.
        const written = join(this.options.projectDir, `Pulumi.${this.stack}.yaml`);
        if (existsSync(written)) {
            throw new Error(`${written} already exists; move it away or choose another stack name`);
        }

        await this.run(["login", `file://${this.backendDir}`]);
        await this.run(["stack", "init", this.stack]);
        if (existsSync(written)) {
            renameSync(written, this.configFile);
        }
    }

    /** Sets one stack config value; `secret` encrypts it in the stack's config file. */
    async setConfig(key: string, value: string, secret = false): Promise<void> {
        await this.run(["config", "set", ...(secret ? ["--secret"] : []), key, value]);
    }

    /** Sets one structured stack config value from JSON. */
    async setConfigJson(key: string, value: unknown): Promise<void> {
        const entry = { value: JSON.stringify(value), objectValue: value, secret: false };
        await this.run(["config", "set-all", "--json", JSON.stringify({ [key]: entry })]);
    }

    /** Runs `pulumi <args>` against this stack; throws PulumiCommandError on a non-zero exit. */
    async run(args: string[], allowFailure = false): Promise<CommandResult> {
        const result = await runPulumi(
            this.withStackFlags(args),
            this.options.projectDir,
            this.env,
            this.options.echo ?? false,
        );
        if (result.code !== 0 && !allowFailure) {
            throw new PulumiCommandError(result);
        }
        return result;
    }

    /**
     * Starts `pulumi <args>` against this stack without waiting, for tests that interrupt it; `done`
     * settles when it exits, whatever its exit code.
     */
    start(args: string[]): { child: ChildProcess; done: Promise<CommandResult> } {
        return startPulumi(this.withStackFlags(args), this.options.projectDir, this.env, this.options.echo ?? false);
    }

    private withStackFlags(args: string[]): string[] {
        return [...args, ...stackFlags(args, this.stack, this.configFile)];
    }

    /** The stack's exported state, as JSON. */
    async exportState(): Promise<{ deployment: { resources?: Array<Record<string, unknown>> } }> {
        const result = await this.run(["stack", "export"]);
        return JSON.parse(result.stdout);
    }

    /** Removes the stack's temporary folder. */
    dispose(): void {
        rmSync(this.workDir, { recursive: true, force: true });
    }
}

const STACKLESS = new Set(["login", "logout", "version", "plugin", "whoami"]);
const READS_CONFIG = new Set(["config", "preview", "up", "refresh", "destroy"]);

function stackFlags(args: string[], stack: string, configFile: string): string[] {
    const [verb, sub] = args;
    if (verb === undefined || STACKLESS.has(verb) || (verb === "stack" && (sub === "init" || sub === "ls"))) {
        return [];
    }
    return READS_CONFIG.has(verb) ? ["--stack", stack, "--config-file", configFile] : ["--stack", stack];
}

function runPulumi(args: string[], cwd: string, env: NodeJS.ProcessEnv, echo: boolean): Promise<CommandResult> {
    return startPulumi(args, cwd, env, echo).done;
}

function startPulumi(
    args: string[],
    cwd: string,
    env: NodeJS.ProcessEnv,
    echo: boolean,
): { child: ChildProcess; done: Promise<CommandResult> } {
    const child = spawn("pulumi", [...args, "--non-interactive"], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const done = new Promise<CommandResult>((resolve, reject) => {
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => {
            stdout += chunk;
            if (echo) process.stdout.write(chunk);
        });
        child.stderr.on("data", (chunk: Buffer) => {
            stderr += chunk;
            if (echo) process.stderr.write(chunk);
        });
        child.on("error", (err) =>
            reject(new Error(`cannot run the Pulumi CLI (${err.message}); run through scripts/run so it is on PATH`)),
        );
        child.on("close", (code) => resolve({ args, code: code ?? 1, stdout, stderr }));
    });
    return { child, done };
}
