// Command pulumi-language-nodejs is a minimal Pulumi language host for the Node.js programs in
// this repository: the process the Pulumi engine starts to run a program written in TypeScript
// or JavaScript.
//
// # Why it exists
//
// A Pulumi CLI installed by Pulumi's installer (https://get.pulumi.com) ships the official
// pulumi-language-nodejs next to the pulumi binary, and then this command is not used at all.
// It exists for machines where the installer cannot be reached and the CLI has to be built
// from Go modules instead: the official host's module,
// github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3, is not tagged and is not
// served by every module proxy, whereas everything this command needs comes from the tagged
// github.com/pulumi/pulumi/sdk/v3 module. scripts/pulumi-cli.sh builds it beside the CLI.
//
// # What it does
//
// The engine starts the host with flags and its own gRPC address as the last argument. The
// host listens on 127.0.0.1 on a port the kernel picks, prints that port on stdout and serves
// pulumirpc.LanguageRuntime. Run starts
//
//	node <program>/node_modules/@pulumi/pulumi/cmd/run --monitor ... --engine ... <entry point>
//
// with the stack's configuration in PULUMI_CONFIG and PULUMI_CONFIG_SECRET_KEYS, the same
// contract the official host has with the @pulumi/pulumi SDK, and maps the exit status back to
// a RunResponse. That is enough for preview, up, refresh and destroy of a TypeScript program,
// including programs with dynamic providers.
//
// # What it leaves out
//
// Compared with the official host it does not:
//   - report the plugins a program needs (GetRequiredPackages is empty): the engine then
//     loads each resource plugin when the program first registers one of its resources;
//   - install dependencies (InstallDependencies only says that npm manages them);
//   - generate code, pack or link SDKs, run plugins written in Node.js, or attach a debugger;
//   - proxy the resource monitor: @pulumi/pulumi talks to the engine's monitor directly, which
//     the engine recognises as Node.js by the gRPC user agent, and no longer uses the
//     synchronous-invoke pipes (--sync) that the official host still creates.
package main
