import { z } from "zod";

// Wire shapes of Cloudflare's custom-certificate endpoints, written from Cloudflare's published
// OpenAPI document. Objects are loose: Cloudflare adds fields without notice, and an unknown field
// must not break a refresh. The fields this package acts on are checked strictly.

/** One entry of an envelope's `errors` or `messages`: Cloudflare's numeric code and its text. */
export const ApiMessageSchema = z.looseObject({
    code: z.number().int(),
    message: z.string(),
    documentation_url: z.string().optional(),
    source: z.looseObject({ pointer: z.string().optional() }).optional(),
});

/** One entry of an envelope's `errors` or `messages`. */
export type ApiMessage = z.infer<typeof ApiMessageSchema>;

/** The paging block of a list answer; every field is optional in Cloudflare's schema. */
export const ResultInfoSchema = z.looseObject({
    count: z.number().optional(),
    page: z.number().optional(),
    per_page: z.number().optional(),
    total_count: z.number().optional(),
    total_pages: z.number().optional(),
});

/** The paging block of a list answer. */
export type ResultInfo = z.infer<typeof ResultInfoSchema>;

/** The states Cloudflare documents for a zone's custom certificate. */
export const CertificateStatusSchema = z.enum(["active", "expired", "deleted", "pending", "initializing"]);

/** A custom certificate as Cloudflare returns it; only the fields this package reads are typed. */
export const CustomCertificateSchema = z.looseObject({
    // Documented as at most 32 characters, but real certificate ids are also 36-character UUIDs.
    id: z.string().min(1),
    zone_id: z.string().min(1),
    priority: z.number().optional(),
    status: CertificateStatusSchema.optional(),
    hosts: z.array(z.string()).optional(),
    issuer: z.string().optional(),
    signature: z.string().optional(),
    bundle_method: z.string().optional(),
    expires_on: z.string().optional(),
    uploaded_on: z.string().optional(),
    modified_on: z.string().optional(),
});

/** A custom certificate as Cloudflare returns it. */
export type CustomCertificate = z.infer<typeof CustomCertificateSchema>;

const envelopeFields = {
    success: z.boolean(),
    errors: z.array(ApiMessageSchema),
    messages: z.array(z.unknown()),
};

/**
 * The envelope read from a failed answer: every field optional, so whatever Cloudflare's codes
 * survive a malformed body still reach the error.
 */
export const ErrorEnvelopeSchema = z.looseObject({
    success: z.unknown().optional(),
    errors: z.array(z.unknown()).optional(),
});

/** The answer to "list custom certificates": one page of them plus the paging block. */
export const ListCertificatesResponseSchema = z.looseObject({
    ...envelopeFields,
    result: z.array(CustomCertificateSchema),
    result_info: ResultInfoSchema.optional(),
});

/** The answer to "list custom certificates". */
export type ListCertificatesResponse = z.infer<typeof ListCertificatesResponseSchema>;

/** The answer to "get a custom certificate". */
export const GetCertificateResponseSchema = z.looseObject({
    ...envelopeFields,
    result: CustomCertificateSchema,
});

/** The answer to "get a custom certificate". */
export type GetCertificateResponse = z.infer<typeof GetCertificateResponseSchema>;

/** The answer to "re-prioritize certificates"; Cloudflare's schema marks `result` optional. */
export const PrioritizeResponseSchema = z.looseObject({
    ...envelopeFields,
    result: z.array(CustomCertificateSchema).nullish(),
    result_info: ResultInfoSchema.optional(),
});

/** The answer to "re-prioritize certificates". */
export type PrioritizeResponse = z.infer<typeof PrioritizeResponseSchema>;

/** The body of "re-prioritize certificates". */
export interface PrioritizeRequest {
    certificates: Array<{ id: string; priority: number }>;
}
