package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"google.golang.org/grpc"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// engineHealthInterval is how often the host checks that the engine that started it is alive.
const engineHealthInterval = 5 * time.Minute

func main() {
	cl := parseCommandLine(os.Args[1:])
	if cl.showVersion {
		fmt.Println(pluginVersion())
		return
	}

	logging.InitLogging(cl.logToStderr, cl.verbose, cl.logFlow)
	for _, flag := range cl.ignored {
		logging.V(5).Infof("ignoring unsupported flag %s", flag)
	}

	err := serve(cl)
	logging.Flush()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: %v\n", err)
		os.Exit(1)
	}
}

// serve answers the engine's language runtime calls until the engine goes away or a signal
// arrives.
func serve(cl commandLine) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if cl.engineAddress != "" {
		// Stop serving if the engine dies without stopping us, so no host outlives its CLI.
		if err := rpcutil.Healthcheck(ctx, cl.engineAddress, engineHealthInterval, stop); err != nil {
			return fmt.Errorf("could not watch the engine at %s: %w", cl.engineAddress, err)
		}
	}

	shutdown := make(chan bool)
	go func() {
		<-ctx.Done()
		close(shutdown)
	}()

	host := newLanguageHost(cl.engineAddress, cl.tracing)
	defer host.cancel()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: shutdown,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		return fmt.Errorf("could not start the language host: %w", err)
	}

	// The engine reads the port from the first line of our stdout.
	fmt.Printf("%d\n", handle.Port)

	if err := <-handle.Done; err != nil {
		return fmt.Errorf("language host stopped serving: %w", err)
	}
	return nil
}

// pluginVersion is the version the host reports to the engine: the one stamped at build time
// with -ldflags -X .../common/version.Version, else the version of the SDK module it was built
// against, which matches the CLI built from the same release.
func pluginVersion() string {
	if version.Version != "" {
		return version.Version
	}
	return "v" + sdk.Version.String()
}

// commandLine is what the host takes from its arguments.
type commandLine struct {
	engineAddress string
	tracing       string
	verbose       int
	logToStderr   bool
	logFlow       bool
	showVersion   bool
	ignored       []string
}

// valueFlags are the flags that the engine or the official host's users may give with their
// value as the next argument ("-tracing URL"). Knowing them keeps a value from being taken for
// the engine address.
var valueFlags = map[string]bool{
	"tracing":  true,
	"v":        true,
	"root":     true,
	"binary":   true,
	"nodeargs": true,
	"runtime":  true,
}

// parseCommandLine reads the flags the engine passes (--logtostderr, -v=N, --logflow, --tracing
// URL), then the engine address, which comes last. Any other flag, such as the official host's
// -typescript or -nodeargs, is accepted and ignored, so a CLI that passes more than this host
// understands still starts it.
func parseCommandLine(args []string) commandLine {
	var cl commandLine
	var positional []string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if arg == "-" || !strings.HasPrefix(arg, "-") {
			positional = append(positional, arg)
			continue
		}

		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !hasValue && valueFlags[name] && i+1 < len(args) {
			i++
			value, hasValue = args[i], true
		}

		switch name {
		case "tracing":
			cl.tracing = value
		case "v":
			if n, err := strconv.Atoi(value); err == nil {
				cl.verbose = n
			}
		case "logtostderr":
			cl.logToStderr = isTrue(value, hasValue)
		case "logflow":
			cl.logFlow = isTrue(value, hasValue)
		case "version":
			cl.showVersion = isTrue(value, hasValue)
		default:
			cl.ignored = append(cl.ignored, arg)
		}
	}

	if len(positional) > 0 {
		cl.engineAddress = positional[len(positional)-1]
	}
	return cl
}

// isTrue reads a boolean flag the way the flag package does: bare means true.
func isTrue(value string, hasValue bool) bool {
	if !hasValue {
		return true
	}
	b, err := strconv.ParseBool(value)
	return err == nil && b
}
