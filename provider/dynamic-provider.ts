// What Pulumi stores in the state of every CertificatePriority as its `__provider`.
//
// The resource passes this module's exports to Pulumi as the dynamic provider. When the package is
// installed under node_modules, Pulumi's closure serializer recognises them as the exports of the
// package's "./dynamic-provider" entry and records only `require("<package>/dynamic-provider")`:
// a few hundred bytes, whatever the client grows to, and a refresh or destroy after an upgrade runs
// the upgraded code. When the package is linked from elsewhere (npm link, a workspace), Pulumi
// copies these functions by value instead, so they must capture nothing but this module's own
// constant: keep the module free of imports, and export nothing else. Where Pulumi cannot see the
// package from its own folder (an SDK installed above the package, as npm workspaces may do), it
// records the file's own path instead, so package.json exports that path too. Both are a contract
// with every state ever written: do not move, rename or remove either. Keep "./dynamic-provider"
// after the file path in package.json: Pulumi names a file by the last export pointing at it.

import type * as pulumi from "@pulumi/pulumi";

type Implementation = Required<pulumi.dynamic.ResourceProvider>;

const PACKAGE = "pulumi-cloudflare-certificate-priority";

export const configure: Implementation["configure"] = (req) => load().configure(req);
export const check: Implementation["check"] = (olds, news) => load().check(olds, news);
export const diff: Implementation["diff"] = (id, olds, news) => load().diff(id, olds, news);
export const create: Implementation["create"] = (inputs) => load().create(inputs);
export const read: Implementation["read"] = (id, props) => load().read(id, props);
export const update: Implementation["update"] = (id, olds, news) => load().update(id, olds, news);
// `delete` is a reserved word, so this one is exported under its name below.
const remove: Implementation["delete"] = (id, props) => load().delete(id, props);
export { remove as delete };

// Loads the implementation from the Pulumi project's own node_modules, once per provider process.
function load(): Implementation {
    const cache = globalThis as { __cloudflareCertificatePriority?: Implementation };
    if (cache.__cloudflareCertificatePriority === undefined) {
        const { createRequire } = process.getBuiltinModule("node:module");
        const from = process.getBuiltinModule("node:path").join(process.cwd(), "package.json");
        let loaded: { CertificatePriorityProvider: new () => Implementation };
        try {
            loaded = createRequire(from)(`${PACKAGE}/provider`);
        } catch (err) {
            throw new Error(`cannot load ${PACKAGE} in ${process.cwd()}; run npm install there: ${err}`, {
                cause: err,
            });
        }
        cache.__cloudflareCertificatePriority = new loaded.CertificatePriorityProvider();
    }
    return cache.__cloudflareCertificatePriority;
}
