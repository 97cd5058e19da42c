package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// languageHost serves pulumirpc.LanguageRuntime for Node.js programs. Calls it does not
// implement answer codes.Unimplemented, which the engine treats as "not supported".
type languageHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	tracing string

	mu            sync.Mutex
	engineAddress string

	// stopped is cancelled by the Cancel call; it ends any program still running.
	stopped context.Context
	cancel  context.CancelFunc
}

func newLanguageHost(engineAddress, tracing string) *languageHost {
	stopped, cancel := context.WithCancel(context.Background())
	return &languageHost{
		engineAddress: engineAddress,
		tracing:       tracing,
		stopped:       stopped,
		cancel:        cancel,
	}
}

// Handshake records the engine address when the engine attached to an already running host.
func (h *languageHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if addr := req.GetEngineAddress(); addr != "" {
		h.mu.Lock()
		h.engineAddress = addr
		h.mu.Unlock()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *languageHost) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// GetPluginInfo reports the host's version, which is the Pulumi release it was built from.
func (h *languageHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: pluginVersion()}, nil
}

// GetRequiredPlugins reports no plugins; the engine loads each one when the program first
// uses it.
func (h *languageHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

// GetRequiredPackages reports no packages, for the same reason as GetRequiredPlugins.
//
// The official host lists every package under node_modules whose package.json says it needs
// a resource plugin, so that the CLI can install those plugins before the program runs.
func (h *languageHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// InstallDependencies installs nothing: the project's npm dependencies are installed by npm
// (scripts/toolchain.sh runs `npm ci`). It says so, since `pulumi install` shows the stream.
func (h *languageHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, _, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()

	msg := "Dependencies are managed by npm, not by this language host: run `npm ci` (or " +
		"`npm install`) in the project directory.\n"
	if _, err := fmt.Fprint(stdout, msg); err != nil {
		return err
	}
	return closer.Close()
}

// RuntimeOptionsPrompts asks nothing during `pulumi new`.
func (h *languageHost) RuntimeOptionsPrompts(
	context.Context, *pulumirpc.RuntimeOptionsRequest,
) (*pulumirpc.RuntimeOptionsResponse, error) {
	return &pulumirpc.RuntimeOptionsResponse{}, nil
}

// About names the node executable on PATH and its version, for `pulumi about`.
func (h *languageHost) About(
	ctx context.Context, _ *pulumirpc.AboutRequest,
) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, fmt.Errorf("could not find node on PATH: %w", err)
	}

	out, err := exec.CommandContext(ctx, node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("could not run %s --version: %w", node, err)
	}

	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimSpace(string(out)),
	}, nil
}

// GetProgramDependencies lists the direct dependencies in the program's package.json, with
// the version installed under node_modules, or the requested range when none is installed.
func (h *languageHost) GetProgramDependencies(
	_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := req.GetInfo().GetProgramDirectory()
	if dir == "" {
		dir = req.GetPwd() //nolint:staticcheck // engines that predate ProgramInfo
	}

	manifest, manifestDir, err := readNearestPackageJSON(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return &pulumirpc.GetProgramDependenciesResponse{}, nil
	}
	if err != nil {
		return nil, err
	}

	deps := make([]*pulumirpc.DependencyInfo, 0, len(manifest.Dependencies)+len(manifest.DevDependencies))
	for _, ranges := range []map[string]string{manifest.Dependencies, manifest.DevDependencies} {
		for name, wanted := range ranges {
			deps = append(deps, &pulumirpc.DependencyInfo{
				Name:    name,
				Version: installedVersion(manifestDir, name, wanted),
			})
		}
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })

	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// Cancel stops any program still running; the engine calls it when the user interrupts.
func (h *languageHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}

// packageJSON holds the parts of a package.json the host reads.
type packageJSON struct {
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
}

// readNearestPackageJSON reads the package.json in dir or the closest directory above it, the
// one npm would use, and returns it with the directory it was found in.
func readNearestPackageJSON(dir string) (packageJSON, string, error) {
	for _, d := range ancestors(dir) {
		var manifest packageJSON
		err := readJSON(filepath.Join(d, "package.json"), &manifest)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		return manifest, d, err
	}
	return packageJSON{}, "", fmt.Errorf("no package.json in %s or above: %w", dir, fs.ErrNotExist)
}

// installedVersion is the version of the package that Node.js would load from dir, or
// fallback when it is not installed.
func installedVersion(dir, name, fallback string) string {
	for _, d := range ancestors(dir) {
		var manifest packageJSON
		if err := readJSON(filepath.Join(d, "node_modules", name, "package.json"), &manifest); err == nil {
			return manifest.Version
		}
	}
	return fallback
}

func readJSON(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// ancestors lists dir and every directory above it, nearest first, the order in which Node.js
// searches node_modules folders.
func ancestors(dir string) []string {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}

	var dirs []string
	for {
		dirs = append(dirs, dir)
		parent := filepath.Dir(dir)
		if parent == dir {
			return dirs
		}
		dir = parent
	}
}
