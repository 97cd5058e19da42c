package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/structpb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const (
	// runScript is the SDK's entry point for programs, relative to a node_modules folder.
	runScript = "@pulumi/pulumi/cmd/run"

	// exitAfterReportingError is the status @pulumi/pulumi exits with once it has shown the
	// user the program's error; the engine then has nothing to add.
	exitAfterReportingError = 32

	// interruptGrace is how long a cancelled program has to exit after SIGINT before it is
	// killed.
	interruptGrace = 5 * time.Second
)

// Run runs the program once, for a preview, an update, a refresh or a destroy, and reports how
// it ended. Errors of the program itself go in the response; a returned error means the host
// could not do its part.
func (h *languageHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "this language host cannot start programs under a debugger"}, nil
	}

	prog := programOf(req)
	opts, err := parseRuntimeOptions(prog.options)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "could not find node on PATH: " + err.Error()}, nil
	}
	script, err := findRunScript(prog.dir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	env, err := runEnvironment(os.Environ(), req, opts)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	args := slices.Concat(opts.nodeArgs, runArguments(req, prog, script, h.engine(), h.tracing))
	return h.runNode(ctx, node, args, env, prog.dir), nil
}

// runNode runs node until it exits, or until the request or the host is cancelled, and turns
// its exit status into a RunResponse.
func (h *languageHost) runNode(
	ctx context.Context, node string, args, env []string, dir string,
) *pulumirpc.RunResponse {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	// A Cancel call stops the program too; the deferred call unregisters that.
	defer context.AfterFunc(h.stopped, stop)()

	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Dir = dir
	cmd.Env = env
	// Wrapping the writers makes exec copy through pipes instead of handing node our own
	// descriptors: node may switch its stdout and stderr to non-blocking mode, which would then
	// also apply to ours.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = interruptGrace

	logging.V(5).Infof("running %s %s", node, strings.Join(args, " "))
	err := cmd.Run()
	// Flush what node wrote before the engine reads the response and moves on.
	_ = os.Stdout.Sync()
	_ = os.Stderr.Sync()
	return runResponse(err)
}

// runResponse maps how node ended to what the engine expects.
func runResponse(err error) *pulumirpc.RunResponse {
	if err == nil {
		return &pulumirpc.RunResponse{}
	}

	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return &pulumirpc.RunResponse{Error: "could not run node: " + err.Error()}
	}
	switch code := exit.ExitCode(); code {
	case exitAfterReportingError:
		return &pulumirpc.RunResponse{Bail: true}
	case -1:
		return &pulumirpc.RunResponse{Error: "program was stopped: " + exit.Error()}
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with status %d", code)}
	}
}

// program says where a program is and how to run it.
type program struct {
	rootDir    string // holds Pulumi.yaml
	dir        string // holds the program; node runs here
	entryPoint string // relative to dir; "." means the package's main module
	options    *structpb.Struct
}

// programOf reads the program's location from the request's ProgramInfo, or from the older
// pwd and program fields for engines that do not send one.
func programOf(req *pulumirpc.RunRequest) program {
	prog := program{
		dir:        req.GetPwd(),
		entryPoint: req.GetProgram(), //nolint:staticcheck // fallback for engines without ProgramInfo
	}
	if info := req.GetInfo(); info != nil {
		prog.rootDir = info.GetRootDirectory()
		prog.options = info.GetOptions()
		if info.GetProgramDirectory() != "" {
			prog.dir = info.GetProgramDirectory()
			prog.entryPoint = info.GetEntryPoint()
		}
	}
	if prog.entryPoint == "" {
		prog.entryPoint = "."
	}
	return prog
}

// runtimeOptions are the options of Pulumi.yaml's `runtime.options` that the host uses.
type runtimeOptions struct {
	typescript   bool     // compile .ts sources with ts-node; true unless turned off
	tsconfigPath string   // the tsconfig ts-node loads, relative to the program directory
	nodeArgs     []string // extra arguments for node itself
}

// parseRuntimeOptions reads `typescript`, `tsconfig` and `nodeargs`. The official host's other
// options, `packagemanager` and `production`, only matter to dependency installation, which
// this host leaves to npm.
func parseRuntimeOptions(options *structpb.Struct) (runtimeOptions, error) {
	opts := runtimeOptions{typescript: true}
	fields := options.AsMap()

	if v, ok := fields["typescript"]; ok {
		b, ok := v.(bool)
		if !ok {
			return opts, fmt.Errorf("runtime option typescript must be true or false, not %v", v)
		}
		opts.typescript = b
	}
	if v, ok := fields["tsconfig"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, fmt.Errorf("runtime option tsconfig must be a path, not %v", v)
		}
		opts.tsconfigPath = s
	}
	if v, ok := fields["nodeargs"]; ok {
		s, ok := v.(string)
		if !ok {
			return opts, fmt.Errorf("runtime option nodeargs must be a string, not %v", v)
		}
		// Unlike the official host, quotes are not interpreted: arguments are split at spaces.
		opts.nodeArgs = strings.Fields(s)
	}
	return opts, nil
}

// findRunScript finds the SDK's run script the way Node.js would resolve @pulumi/pulumi from
// the program directory: in node_modules there or in any directory above.
func findRunScript(programDir string) (string, error) {
	for _, dir := range ancestors(programDir) {
		candidate := filepath.Join(dir, "node_modules", filepath.FromSlash(runScript))
		if _, err := os.Stat(filepath.Join(candidate, "index.js")); err == nil {
			return candidate, nil
		}
	}
	return "", fmt.Errorf("could not find @pulumi/pulumi in node_modules of %s or any directory above it; "+
		"install the program's dependencies (npm install) first", programDir)
}

// runArguments builds the command line of the SDK's run script, which it reads with minimist.
func runArguments(req *pulumirpc.RunRequest, prog program, script, engine, tracing string) []string {
	args := []string{script}
	add := func(flag, value string) {
		if value != "" {
			args = append(args, "--"+flag, value)
		}
	}

	add("monitor", req.GetMonitorAddress())
	add("engine", engine)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("root-directory", prog.rootDir)
	add("stack", req.GetStack())
	add("pwd", prog.dir)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", tracing)

	args = append(args, prog.entryPoint)
	return append(args, req.GetArgs()...)
}

// runEnvironment is base plus the variables through which @pulumi/pulumi receives the stack's
// configuration and the program's options.
func runEnvironment(base []string, req *pulumirpc.RunRequest, opts runtimeOptions) ([]string, error) {
	cfg, err := configJSON(req.GetConfig())
	if err != nil {
		return nil, err
	}
	secretKeys, err := secretKeysJSON(req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}

	env := slices.Concat(base, []string{
		"PULUMI_CONFIG=" + cfg,
		"PULUMI_CONFIG_SECRET_KEYS=" + secretKeys,
	})
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfigPath != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfigPath)
	}
	return env, nil
}

// configJSON encodes the stack's configuration for PULUMI_CONFIG. The engine sends keys as
// "namespace:name"; they are written as "namespace:config:name", the form every version of
// @pulumi/pulumi reads (newer ones strip the ":config" again).
func configJSON(cfg map[string]string) (string, error) {
	legacy := make(map[string]string, len(cfg))
	for k, v := range cfg {
		key, err := config.ParseKey(k)
		if err != nil {
			return "", err
		}
		legacy[key.Namespace()+":config:"+key.Name()] = v
	}

	data, err := json.Marshal(legacy)
	if err != nil {
		return "", fmt.Errorf("encoding the stack configuration: %w", err)
	}
	return string(data), nil
}

// secretKeysJSON encodes the keys of secret configuration values for
// PULUMI_CONFIG_SECRET_KEYS. They keep the engine's "namespace:name" form: @pulumi/pulumi
// compares them with keys it has already stripped of ":config".
func secretKeysJSON(keys []string) (string, error) {
	if keys == nil {
		keys = []string{}
	}
	data, err := json.Marshal(keys)
	if err != nil {
		return "", fmt.Errorf("encoding the secret configuration keys: %w", err)
	}
	return string(data), nil
}
