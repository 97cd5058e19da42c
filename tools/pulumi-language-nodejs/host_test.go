package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

func TestConfigJSONWritesTheLegacyKeyForm(t *testing.T) {
	got, err := configJSON(map[string]string{
		"cloudflare:apiToken":  "abc",
		"quickstart:zoneId":    "z1",
		"aws:config:region":    "eu-west-1", // already legacy: kept as is
		"quickstart:certs":     `["a","b"]`,
		"quickstart:emptyText": "",
	})
	if err != nil {
		t.Fatal(err)
	}

	want := `{"aws:config:region":"eu-west-1","cloudflare:config:apiToken":"abc",` +
		`"quickstart:config:certs":"[\"a\",\"b\"]","quickstart:config:emptyText":"",` +
		`"quickstart:config:zoneId":"z1"}`
	if got != want {
		t.Errorf("configJSON\n got %s\nwant %s", got, want)
	}
}

func TestConfigJSONRejectsAKeyWithoutNamespace(t *testing.T) {
	if _, err := configJSON(map[string]string{"apiToken": "abc"}); err == nil {
		t.Fatal("configJSON accepted a key without a namespace")
	}
}

func TestSecretKeysKeepTheEngineForm(t *testing.T) {
	cases := map[string][]string{
		`[]`:                      nil,
		`["cloudflare:apiToken"]`: {"cloudflare:apiToken"},
	}
	for want, keys := range cases {
		got, err := secretKeysJSON(keys)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("secretKeysJSON(%q) = %s, want %s", keys, got, want)
		}
	}
}

func TestRunEnvironmentAddsConfigAndTypeScriptSwitches(t *testing.T) {
	req := &pulumirpc.RunRequest{
		Config:           map[string]string{"cloudflare:apiToken": "abc"},
		ConfigSecretKeys: []string{"cloudflare:apiToken"},
	}
	base := []string{"PATH=/bin"}

	env, err := runEnvironment(base, req, runtimeOptions{typescript: true, tsconfigPath: "tsconfig.pulumi.json"})
	if err != nil {
		t.Fatal(err)
	}

	want := []string{
		"PATH=/bin",
		`PULUMI_CONFIG={"cloudflare:config:apiToken":"abc"}`,
		`PULUMI_CONFIG_SECRET_KEYS=["cloudflare:apiToken"]`,
		"PULUMI_NODEJS_TYPESCRIPT=true",
		"PULUMI_NODEJS_TSCONFIG_PATH=tsconfig.pulumi.json",
	}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("runEnvironment\n got %q\nwant %q", env, want)
	}
	if len(base) != 1 {
		t.Errorf("runEnvironment changed its base: %q", base)
	}
}

func TestParseCommandLine(t *testing.T) {
	cases := []struct {
		args []string
		want commandLine
	}{
		{
			args: []string{"127.0.0.1:4000"},
			want: commandLine{engineAddress: "127.0.0.1:4000"},
		},
		{
			// What the engine passes with --logflow -v=9 --tracing.
			args: []string{"--logtostderr", "-v=9", "--tracing", "http://127.0.0.1:9411", "127.0.0.1:4000"},
			want: commandLine{
				engineAddress: "127.0.0.1:4000",
				tracing:       "http://127.0.0.1:9411",
				verbose:       9,
				logToStderr:   true,
			},
		},
		{
			// The official host's own flags are ignored, with their values.
			args: []string{
				"-typescript=false", "-root", "/p", "-nodeargs", "--inspect", "-binary=x", "127.0.0.1:4000",
			},
			want: commandLine{
				engineAddress: "127.0.0.1:4000",
				ignored:       []string{"-typescript=false", "-root", "-nodeargs", "-binary=x"},
			},
		},
		{
			args: []string{"-version"},
			want: commandLine{showVersion: true},
		},
	}
	for _, c := range cases {
		if got := parseCommandLine(c.args); !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseCommandLine(%q)\n got %+v\nwant %+v", c.args, got, c.want)
		}
	}
}

func TestProgramOfPrefersProgramInfo(t *testing.T) {
	options, err := structpb.NewStruct(map[string]any{"typescript": true})
	if err != nil {
		t.Fatal(err)
	}
	req := &pulumirpc.RunRequest{
		Pwd:     "/old/pwd",
		Program: "/old/program",
		Info: &pulumirpc.ProgramInfo{
			RootDirectory:    "/repo",
			ProgramDirectory: "/repo/examples/quickstart",
			EntryPoint:       ".",
			Options:          options,
		},
	}

	got := programOf(req)
	want := program{rootDir: "/repo", dir: "/repo/examples/quickstart", entryPoint: ".", options: options}
	if got != want {
		t.Errorf("programOf = %+v, want %+v", got, want)
	}

	legacy := programOf(&pulumirpc.RunRequest{Pwd: "/p"})
	if legacy.dir != "/p" || legacy.entryPoint != "." {
		t.Errorf("programOf without ProgramInfo = %+v", legacy)
	}
}

func TestRunArgumentsMatchTheSDKRunScript(t *testing.T) {
	req := &pulumirpc.RunRequest{
		MonitorAddress: "127.0.0.1:5000",
		Organization:   "organization",
		Project:        "quickstart",
		Stack:          "dev",
		DryRun:         true,
		Parallel:       16,
		Args:           []string{"extra"},
	}
	prog := program{rootDir: "/repo", dir: "/repo/examples/quickstart", entryPoint: "."}

	got := runArguments(req, prog, "/repo/node_modules/@pulumi/pulumi/cmd/run", "127.0.0.1:4000", "")

	want := []string{
		"/repo/node_modules/@pulumi/pulumi/cmd/run",
		"--monitor", "127.0.0.1:5000",
		"--engine", "127.0.0.1:4000",
		"--organization", "organization",
		"--project", "quickstart",
		"--root-directory", "/repo",
		"--stack", "dev",
		"--pwd", "/repo/examples/quickstart",
		"--dry-run",
		"--parallel", "16",
		".",
		"extra",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("runArguments\n got %q\nwant %q", got, want)
	}
}

func TestParseRuntimeOptions(t *testing.T) {
	options, err := structpb.NewStruct(map[string]any{
		"typescript":     false,
		"tsconfig":       "tsconfig.pulumi.json",
		"nodeargs":       "--max-old-space-size=4096 --no-warnings",
		"packagemanager": "npm",
	})
	if err != nil {
		t.Fatal(err)
	}

	got, err := parseRuntimeOptions(options)
	if err != nil {
		t.Fatal(err)
	}
	want := runtimeOptions{
		tsconfigPath: "tsconfig.pulumi.json",
		nodeArgs:     []string{"--max-old-space-size=4096", "--no-warnings"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseRuntimeOptions = %+v, want %+v", got, want)
	}

	if defaults, err := parseRuntimeOptions(nil); err != nil || !defaults.typescript {
		t.Errorf("parseRuntimeOptions(nil) = %+v, %v; want typescript on", defaults, err)
	}

	bad, err := structpb.NewStruct(map[string]any{"typescript": "yes"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseRuntimeOptions(bad); err == nil {
		t.Error("parseRuntimeOptions accepted typescript: \"yes\"")
	}
}

func TestFindRunScriptSearchesUpward(t *testing.T) {
	root := t.TempDir()
	script := filepath.Join(root, "node_modules", "@pulumi", "pulumi", "cmd", "run")
	if err := os.MkdirAll(script, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(script, "index.js"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	programDir := filepath.Join(root, "examples", "quickstart")
	if err := os.MkdirAll(programDir, 0o755); err != nil {
		t.Fatal(err)
	}

	got, err := findRunScript(programDir)
	if err != nil {
		t.Fatal(err)
	}
	if got != script {
		t.Errorf("findRunScript = %s, want %s", got, script)
	}

	if _, err := findRunScript(t.TempDir()); err == nil {
		t.Error("findRunScript found a run script where none is installed")
	}
}

func TestRunResponseMapsExitStatus(t *testing.T) {
	exit := func(code string) error {
		return exec.Command("sh", "-c", "exit "+code).Run()
	}
	cases := []struct {
		name string
		err  error
		want *pulumirpc.RunResponse
	}{
		{"success", nil, &pulumirpc.RunResponse{}},
		{"error already shown", exit("32"), &pulumirpc.RunResponse{Bail: true}},
		{"other failure", exit("1"), &pulumirpc.RunResponse{Error: "program exited with status 1"}},
		{"no node", exec.Command("/nonexistent/node").Run(), nil},
	}
	for _, c := range cases {
		got := runResponse(c.err)
		if c.want == nil {
			if got.GetError() == "" || got.GetBail() {
				t.Errorf("%s: runResponse = %v, want an error", c.name, got)
			}
			continue
		}
		if got.GetError() != c.want.GetError() || got.GetBail() != c.want.GetBail() {
			t.Errorf("%s: runResponse = %v, want %v", c.name, got, c.want)
		}
	}
}
