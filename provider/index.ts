export { CertificatePriority, type CertificatePriorityArgs, type CertificatePriorityEntryArgs } from "./resource";
export { CertificatePriorityProvider, type CertificatePriorityOutputs, type PreviousPriority } from "./provider";
export { checkInputs, UNKNOWN, MAX_PRIORITY, type OnDelete, type PriorityEntry, type CheckFailure } from "./inputs";
export { MissingCredentialsError, resolveSettings } from "./credentials";
export { InvalidSettingError, resolveTuning, SETTINGS_NAMESPACE, TUNING_SETTINGS, type ClientTuning } from "./settings";
export * from "./errors";
export { CloudflareClient, DEFAULT_BASE_URL, type ClientOptions, type Credentials } from "./client";
