// How long the client waits and how often it retries, read from stack config or the environment,
// so a CI pipeline can fail fast and a slow link can wait longer without a code change.

import type { RetryPolicy } from "./client";
import type { ConfigSource } from "./credentials";

/** The stack-config namespace of this package's own settings. */
export const SETTINGS_NAMESPACE = "cloudflare-certificate-priority";

/** The client's timeouts and retry policy as the user set them; unset fields keep their defaults. */
export interface ClientTuning {
    timeoutMs?: number;
    retry: Partial<RetryPolicy>;
}

/** One tunable setting: its config key, its environment variable and the values it accepts. */
export interface TuningSetting {
    /** The key below SETTINGS_NAMESPACE, such as "maxAttempts". */
    key: "maxAttempts" | "timeoutMs" | "deadlineMs" | "maxRetryAfterMs" | "baseDelayMs" | "maxDelayMs";
    env: string;
    min: number;
    max: number;
    unit: "attempts" | "milliseconds";
    example: number;
}

/** Every setting, as the README documents them. */
export const TUNING_SETTINGS: ReadonlyArray<TuningSetting> = [
    { key: "maxAttempts", env: "CLOUDFLARE_PRIORITY_MAX_ATTEMPTS", min: 1, max: 20, unit: "attempts", example: 4 },
    {
        key: "timeoutMs",
        env: "CLOUDFLARE_PRIORITY_TIMEOUT_MS",
        min: 1,
        max: 600_000,
        unit: "milliseconds",
        example: 30_000,
    },
    {
        key: "deadlineMs",
        env: "CLOUDFLARE_PRIORITY_DEADLINE_MS",
        min: 1,
        max: 3_600_000,
        unit: "milliseconds",
        example: 120_000,
    },
    {
        key: "maxRetryAfterMs",
        env: "CLOUDFLARE_PRIORITY_MAX_RETRY_AFTER_MS",
        min: 0,
        max: 3_600_000,
        unit: "milliseconds",
        example: 60_000,
    },
    {
        key: "baseDelayMs",
        env: "CLOUDFLARE_PRIORITY_BASE_DELAY_MS",
        min: 0,
        max: 600_000,
        unit: "milliseconds",
        example: 500,
    },
    {
        key: "maxDelayMs",
        env: "CLOUDFLARE_PRIORITY_MAX_DELAY_MS",
        min: 0,
        max: 600_000,
        unit: "milliseconds",
        example: 8_000,
    },
];

/** Raised for a setting that is not a whole number in range; says where it was set and how to fix it. */
export class InvalidSettingError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "InvalidSettingError";
        Object.setPrototypeOf(this, new.target.prototype);
    }
}

/**
 * Reads the client's tuning: stack config `cloudflare-certificate-priority:<key>` first, then the
 * environment variable. Throws InvalidSettingError naming the first bad value, before any request.
 */
export function resolveTuning(config: ConfigSource | undefined, env: NodeJS.ProcessEnv): ClientTuning {
    const tuning: ClientTuning = { retry: {} };
    for (const setting of TUNING_SETTINGS) {
        const value = readSetting(setting, config, env);
        if (value === undefined) {
            continue;
        }
        if (setting.key === "timeoutMs") {
            tuning.timeoutMs = value;
        } else {
            tuning.retry[setting.key] = value;
        }
    }
    return tuning;
}

function readSetting(
    setting: TuningSetting,
    config: ConfigSource | undefined,
    env: NodeJS.ProcessEnv,
): number | undefined {
    const configKey = `${SETTINGS_NAMESPACE}:${setting.key}`;
    const fromConfig: unknown = config?.get(configKey);
    if (fromConfig !== undefined && fromConfig !== null && String(fromConfig).trim() !== "") {
        const set = `\`pulumi config set ${configKey} ${setting.example}\``;
        const fix = `set it with ${set} or remove it with \`pulumi config rm ${configKey}\``;
        return wholeNumber(fromConfig, setting, `the stack config ${configKey}`, fix);
    }

    const fromEnv = env[setting.env];
    if (fromEnv !== undefined && fromEnv.trim() !== "") {
        return wholeNumber(
            fromEnv,
            setting,
            `the environment variable ${setting.env}`,
            `set it to, say, ${setting.example}, or unset it`,
        );
    }
    return undefined;
}

function wholeNumber(raw: unknown, setting: TuningSetting, where: string, fix: string): number {
    const text = String(raw).trim();
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isSafeInteger(value) && value >= setting.min && value <= setting.max) {
        return value;
    }

    // A long value is not quoted: a credential pasted into the wrong variable must not be echoed.
    const shown = text.length > 16 ? `a value of ${text.length} characters` : JSON.stringify(text);
    const range = `from ${setting.min} to ${setting.max}`;
    throw new InvalidSettingError(`${where} must be a whole number of ${setting.unit} ${range}, not ${shown}; ${fix}.`);
}
