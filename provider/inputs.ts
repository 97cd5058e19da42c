import { z } from "zod";

import { CLAIM_KEY } from "./claims";

/** The string the Pulumi engine sends in place of a value that is not known until apply. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The largest priority accepted; Cloudflare documents no bound, this one catches typos. */
export const MAX_PRIORITY = 1_000_000;

/** The most certificates one resource may order; a zone holds far fewer in practice. */
export const MAX_CERTIFICATES = 500;

/** What happens to the certificates' priorities when the resource is deleted. */
export type OnDelete = "restore" | "keep";

/** One certificate and the priority it should have; 1 is the most preferred. */
export interface PriorityEntry {
    id: string;
    priority: number;
}

/** The resource's inputs once every value is known: validated, with defaults applied. */
export interface CertificatePriorityInputs {
    zoneId: string;
    certificates: PriorityEntry[];
    onDelete: OnDelete;
}

/** A validation failure for one property path, as the Pulumi engine shows it. */
export interface CheckFailure {
    property: string;
    reason: string;
}

/** The outcome of `check`: the inputs to record (defaults applied) and any failures. */
export interface CheckOutcome {
    inputs: Record<string, unknown>;
    failures: CheckFailure[];
}

const requiredOr = (required: string, wrongType: string) => (issue: { input?: unknown }) =>
    issue.input === undefined ? required : wrongType;

const zoneIdSchema = z
    .string({
        error: requiredOr(
            "is required: the ID of the zone whose certificates to order",
            "must be a string: the 32-character zone ID from the zone's Overview page",
        ),
    })
    .regex(/^[0-9a-f]{32}$/i, {
        error: "must be a Cloudflare zone ID: 32 hexadecimal characters, as on the zone's Overview page",
    });

const certificateIdSchema = z
    .string({
        error: requiredOr("is required: the custom certificate's ID", "must be a string: the custom certificate's ID"),
    })
    .min(1, { error: "must not be empty: give the custom certificate's ID" })
    .max(64, { error: "is too long for a certificate ID (at most 64 characters)" })
    // `*`, not `+`: an empty ID gets the one failure from min(1) above, not a second one here.
    .regex(/^[A-Za-z0-9-]*$/, {
        error: "must be a certificate ID (letters, digits and dashes), such as a CustomSsl's id",
    });

const prioritySchema = z
    .number({
        error: (issue) => {
            if (typeof issue.input === "number") {
                const value = String(issue.input);
                return `must be a finite whole number, not ${value}: 1 for the most preferred certificate, 2 for the next`;
            }
            return requiredOr(
                "is required: a whole number, 1 for the most preferred certificate",
                "must be a number: 1 for the most preferred certificate, 2 for the next",
            )(issue);
        },
    })
    .int({ error: "must be a whole number: 1 for the most preferred certificate, 2 for the next" })
    .min(0, { error: "must be 0 or more: 1 is the most preferred certificate" })
    .max(MAX_PRIORITY, {
        error: `must be at most ${MAX_PRIORITY}: number the certificates 1, 2, 3 in order of preference`,
    });

const orUnknown = <T extends z.ZodType>(schema: T) => z.union([z.literal(UNKNOWN), schema]);

const entrySchema = z.strictObject(
    { id: orUnknown(certificateIdSchema), priority: orUnknown(prioritySchema) },
    { error: "must be an object { id, priority }" },
);

const certificatesSchema = z
    .array(orUnknown(entrySchema), {
        error: requiredOr(
            "is required: a list of { id, priority }, 1 for the most preferred",
            "must be a list of { id, priority }, 1 for the most preferred",
        ),
    })
    .min(1, {
        error: "must list at least one certificate: add { id, priority } for each certificate to order",
    })
    .max(MAX_CERTIFICATES, {
        error: `lists more than ${MAX_CERTIFICATES} certificates; a zone holds fewer, check the list`,
    });

const onDeleteSchema = z.enum(["restore", "keep"], {
    error: 'must be "restore" (put back the priorities from before) or "keep" (leave them as they are)',
});

const inputsSchema = z.strictObject(
    {
        zoneId: orUnknown(zoneIdSchema),
        certificates: orUnknown(certificatesSchema),
        onDelete: orUnknown(onDeleteSchema).optional(),
    },
    { error: "must be an object with zoneId and certificates" },
);

const PROVIDER_KEY = "__provider";

/** Validates raw inputs from the engine, tolerating values that are unknown during preview. */
export function checkInputs(raw: unknown): CheckOutcome {
    const { [PROVIDER_KEY]: _provider, [CLAIM_KEY]: _claims, ...props } = asRecord(raw);
    const parsed = inputsSchema.safeParse(props);
    if (!parsed.success) {
        return { inputs: props, failures: parsed.error.issues.flatMap((i) => toFailures(i, [])) };
    }

    const inputs = { ...parsed.data, onDelete: parsed.data.onDelete ?? "restore" };
    const entries = Array.isArray(inputs.certificates) ? inputs.certificates : [];
    return { inputs, failures: duplicateFailures(entries) };
}

/** Reads inputs that `check` accepted and that hold no unknown values (create, update). */
export function knownInputs(raw: unknown): CertificatePriorityInputs {
    const { inputs, failures } = checkInputs(raw);
    if (failures.length > 0) {
        const list = failures.map((f) => `${f.property} ${f.reason}`).join("; ");
        throw new Error(`invalid CertificatePriority inputs: ${list}`);
    }
    if (containsUnknown(inputs)) {
        throw new Error("CertificatePriority inputs still hold unknown values at apply time");
    }
    return inputs as unknown as CertificatePriorityInputs;
}

/** True when the value, or anything inside it, is the engine's unknown sentinel. */
export function containsUnknown(value: unknown): boolean {
    if (value === UNKNOWN) {
        return true;
    }
    if (Array.isArray(value)) {
        return value.some(containsUnknown);
    }
    if (value !== null && typeof value === "object") {
        return Object.values(value).some(containsUnknown);
    }
    return false;
}

/** Formats a path the way users write it: `certificates[1].priority`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
    return path.reduce<string>((out, key) => {
        if (typeof key === "number") {
            return `${out}[${key}]`;
        }
        return out === "" ? String(key) : `${out}.${String(key)}`;
    }, "");
}

function asRecord(raw: unknown): Record<string, unknown> {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
        return {};
    }
    return raw as Record<string, unknown>;
}

function duplicateFailures(entries: ReadonlyArray<unknown>): CheckFailure[] {
    const firstSeen = new Map<string, number>();
    const failures: CheckFailure[] = [];
    entries.forEach((entry, index) => {
        const id = (entry as { id?: unknown }).id;
        if (typeof id !== "string" || id === UNKNOWN) {
            return;
        }

        const key = id.toLowerCase();
        const first = firstSeen.get(key);
        if (first === undefined) {
            firstSeen.set(key, index);
            return;
        }
        failures.push({
            property: `certificates[${index}].id`,
            reason: `lists certificate ${id} again (first at certificates[${first}]); list each certificate once`,
        });
    });
    return failures;
}

// A value that may be unknown is a union of the sentinel and the real schema; when both fail, the
// real schema's issues are the ones that explain the mistake.
function toFailures(issue: z.core.$ZodIssue, prefix: ReadonlyArray<PropertyKey>): CheckFailure[] {
    const path = [...prefix, ...issue.path];
    if (issue.code === "invalid_union") {
        const explaining = issue.errors[issue.errors.length - 1] ?? [];
        return explaining.flatMap((inner) => toFailures(inner, path));
    }
    if (issue.code === "unrecognized_keys") {
        return issue.keys.map((key) => ({
            property: formatPath([...path, key]),
            reason: `is not a known field; remove it (known: ${knownFields(path)})`,
        }));
    }
    return [{ property: formatPath(path) || "inputs", reason: issue.message }];
}

function knownFields(path: ReadonlyArray<PropertyKey>): string {
    return path.length === 0 ? "zoneId, certificates, onDelete" : "id, priority";
}
