import type { Credentials } from "./client";

/** Where the provider finds the settings it needs to talk to Cloudflare. */
export interface Settings {
    credentials: Credentials;
    baseUrl: string | undefined;
}

/** A stack-config lookup; `pulumi.dynamic.Config` satisfies it. */
export interface ConfigSource {
    get(key: string): string | undefined;
}

/** Raised when no credentials are configured; names every place they may come from. */
export class MissingCredentialsError extends Error {
    constructor(detail: string) {
        super(
            `${detail}. Set a Cloudflare API token with ` +
                "`pulumi config set --secret cloudflare:apiToken <token>` or the environment variable " +
                "CLOUDFLARE_API_TOKEN (legacy: CLOUDFLARE_API_KEY with CLOUDFLARE_EMAIL, or the config keys " +
                "cloudflare:apiKey and cloudflare:email). The token needs the permission " +
                '"Zone / SSL and Certificates / Edit" on the zones it manages.',
        );
        this.name = "MissingCredentialsError";
        Object.setPrototypeOf(this, new.target.prototype);
    }
}

/**
 * Resolves credentials and the API base URL: stack config first (the keys the official Cloudflare
 * provider reads), then the environment. Throws MissingCredentialsError before any request.
 */
export function resolveSettings(config: ConfigSource | undefined, env: NodeJS.ProcessEnv): Settings {
    const read = (key: string, envName: string) => nonEmpty(config?.get(`cloudflare:${key}`)) ?? nonEmpty(env[envName]);

    const apiToken = read("apiToken", "CLOUDFLARE_API_TOKEN");
    const apiKey = read("apiKey", "CLOUDFLARE_API_KEY");
    const email = read("email", "CLOUDFLARE_EMAIL");
    const baseUrl = read("baseUrl", "CLOUDFLARE_BASE_URL");

    if (apiToken !== undefined) {
        return { credentials: { apiToken }, baseUrl };
    }
    if (apiKey !== undefined && email !== undefined) {
        return { credentials: { apiKey, email }, baseUrl };
    }
    if (apiKey !== undefined) {
        throw new MissingCredentialsError("A Cloudflare API key is set but no email goes with it");
    }
    throw new MissingCredentialsError("No Cloudflare credentials are configured");
}

function nonEmpty(value: string | undefined): string | undefined {
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}
