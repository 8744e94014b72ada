// Command dataplaneapi is a test stand-in for the HAProxy Data Plane API
// v3.2.1 binary. It does on a host what the real one does there (see
// README.md for each behaviour and its upstream source), and implements only
// the endpoints the project's tests use. Never ship it.
package main

import (
	"fmt"
	"log"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// bannerDelay stands for the time the real binary spends before it prints
// its --version banner (it parses its embedded OpenAPI document first), so
// that the banner reaches stdout after the start-up log lines as late as it
// does with the real one.
const bannerDelay = 150 * time.Millisecond

func init() {
	// The real binary imports github.com/KimMachineGun/automemlimit and
	// go.uber.org/automaxprocs, whose init functions log to stderr before
	// main runs (in that order: packages initialise by import path).
	automemlimitLog()
	automaxprocsLog()
}

func cgroupFile(name string) (string, error) {
	data, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "0::") {
			b, err := os.ReadFile(filepath.Join("/sys/fs/cgroup", strings.TrimPrefix(line, "0::"), name))
			return strings.TrimSpace(string(b)), err
		}
	}
	return "", fmt.Errorf("no cgroup v2 entry in /proc/self/cgroup")
}

func automemlimitLog() {
	if v, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		slog.Info("GOMEMLIMIT is already set, skipping", slog.String("GOMEMLIMIT", v))
		return
	}
	if v, ok := os.LookupEnv("AUTOMEMLIMIT"); ok && v == "off" {
		slog.Info("AUTOMEMLIMIT is set to off, skipping")
		return
	}
	max, err := cgroupFile("memory.max")
	if err != nil {
		slog.Error("failed to set GOMEMLIMIT", slog.Any("error", fmt.Errorf("failed to set GOMEMLIMIT: %w", err)))
		return
	}
	if max == "max" {
		slog.Info("memory is not limited, skipping")
		return
	}
	n, err := strconv.ParseUint(max, 10, 64)
	if err != nil {
		slog.Error("failed to set GOMEMLIMIT", slog.Any("error", err))
		return
	}
	limit := uint64(float64(n) * 0.9)
	slog.Info("GOMEMLIMIT is updated", slog.Uint64("GOMEMLIMIT", limit), slog.Uint64("previous", math.MaxInt64))
}

func automaxprocsLog() {
	if v, ok := os.LookupEnv("GOMAXPROCS"); ok {
		log.Printf("maxprocs: Honoring GOMAXPROCS=%q as set in environment", v)
		return
	}
	cpu, err := cgroupFile("cpu.max")
	f := strings.Fields(cpu)
	if err != nil || len(f) != 2 || f[0] == "max" {
		log.Printf("maxprocs: Leaving GOMAXPROCS=%v: CPU quota undefined", runtime.GOMAXPROCS(0))
		return
	}
	quota, e1 := strconv.ParseFloat(f[0], 64)
	period, e2 := strconv.ParseFloat(f[1], 64)
	if e1 != nil || e2 != nil || period <= 0 {
		log.Printf("maxprocs: Leaving GOMAXPROCS=%v: CPU quota undefined", runtime.GOMAXPROCS(0))
		return
	}
	n := int(math.Floor(quota / period))
	if n < 1 {
		log.Printf("maxprocs: Updating GOMAXPROCS=%v: using minimum allowed GOMAXPROCS", 1)
		runtime.GOMAXPROCS(1)
		return
	}
	log.Printf("maxprocs: Updating GOMAXPROCS=%v: determined from CPU quota", n)
	runtime.GOMAXPROCS(n)
}

type cliArgs struct {
	dataplaneConfig string
	configFile      string
	version         bool
	given           map[string]bool
}

// parseArgs knows the flags the project uses: -f (the API's YAML),
// -c/--config-file (the HAProxy configuration), -v/--version, -h/--help.
func parseArgs(args []string) (*cliArgs, error) {
	c := &cliArgs{dataplaneConfig: "/etc/haproxy/dataplaneapi.yaml", given: map[string]bool{}}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := a, "", false
		if strings.HasPrefix(a, "--") {
			if k, v, ok := strings.Cut(a, "="); ok {
				name, val, hasVal = k, v, true
			}
		} else if strings.HasPrefix(a, "-") && len(a) > 2 {
			name, val, hasVal = a[:2], strings.TrimPrefix(a[2:], "="), true
		}
		value := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("expected argument for flag `%s'", name)
			}
			i++
			return args[i], nil
		}
		var err error
		switch name {
		case "-f":
			c.dataplaneConfig, err = value()
		case "-c", "--config-file":
			c.configFile, err = value()
			c.given["config-file"] = true
		case "-v", "--version":
			c.version = true
		case "-h", "--help":
			fmt.Println("Usage:\n  dataplaneapi [OPTIONS]\n\nHAProxy Data Plane API (test stand-in: -f FILE, -c/--config-file FILE, -v/--version)")
			os.Exit(0)
		default:
			if strings.HasPrefix(a, "-") {
				return nil, fmt.Errorf("unknown flag `%s'", strings.TrimLeft(name, "-"))
			}
			return nil, fmt.Errorf("unexpected argument %q", a)
		}
		if err != nil {
			return nil, err
		}
	}
	return c, nil
}

func main() {
	args, err := parseArgs(os.Args[1:])
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	if args.version {
		time.Sleep(bannerDelay)
		fmt.Printf("HAProxy Data Plane API %s %s\n\n", gitTag(), gitCommit)
		fmt.Printf("Build from: %s\n", gitRepo)
		fmt.Printf("Build date: %s\n\n", buildTime)
		return
	}

	// configuration.Load: the YAML, then the command line over it.
	s := defaultSettings()
	y, exists, err := loadYAML(args.dataplaneConfig)
	if err != nil {
		fmt.Println("configuration error:", fmt.Errorf("configuration file %s not valid (only yaml format is supported): %w", args.dataplaneConfig, err))
		os.Exit(1)
	}
	if !exists {
		fmt.Printf("configuration file %s does not exists, creating one\n", args.dataplaneConfig)
	}
	y.apply(s, args.given)
	if args.given["config-file"] {
		s.ConfigFile = args.configFile
	}
	if s.Name == "" {
		s.Name, _ = os.Hostname()
	}
	if err := s.validateReload(); err != nil {
		fmt.Println("configuration error:", err)
		os.Exit(1)
	}
	if s.UID != 0 {
		if err := syscall.Setuid(s.UID); err != nil {
			fmt.Println("set uid:", err)
			os.Exit(1)
		}
	}
	if s.GID != 0 {
		if err := syscall.Setgid(s.GID); err != nil {
			fmt.Println("set gid:", err)
			os.Exit(1)
		}
	}
	// LoadDataplaneStorageConfig: the internal storage directory.
	if _, err := checkOrCreateWritableDirectory(s.DataplaneStorageDir); err != nil {
		logFatalf("error initializing dataplane internal storage: %s: %v", s.DataplaneStorageDir, err)
	}

	logInfof("HAProxy Data Plane API %s %s", gitTag(), gitCommit)
	logInfof("Build from: %s", gitRepo)
	logInfof("Build date: %s", buildTime)
	logInfof("Reload strategy: %s", s.ReloadStrategy)
	logWarnf("This is the test STAND-IN for dataplaneapi (%s), not the real binary", standIn)

	// cfg.Save: the YAML is rewritten on every start.
	doc, err := y.saveDocument(s)
	if err == nil {
		err = writeFileAtomic(args.dataplaneConfig, doc, 0o644)
	}
	if err != nil {
		logFatalf("Error saving configuration: %s", err.Error())
	}

	a := &api{s: s}
	// configureNativeClient: `haproxy -v`, the configuration, the runtime
	// connection, then the storage directories.
	mainCfg, err := a.loadMainConfig()
	if err != nil {
		logFatalf("Error initializing configuration client: %v", err)
	}
	a.main = mainCfg
	if _, err := checkOrCreateWritableDirectory(s.TransactionDir); err != nil {
		logFatalf("error initializing transaction directory %s: %v", s.TransactionDir, err)
	}
	// Persistent transactions: every in-progress transaction file is parsed
	// at start, and one that fails to load is fatal.
	if err := a.loadTransactionsAtStart(); err != nil {
		logFatalf("Error initializing configuration client: %v", err)
	}
	a.rt = configureRuntime(s, mainCfg)
	for _, d := range []struct{ what, dir string }{
		{"map storage", s.MapsDir},
		{"SSL certs storage", s.SSLCertsDir},
		{"General storage", s.GeneralStorageDir},
	} {
		if _, err := checkOrCreateWritableDirectory(d.dir); err != nil {
			logFatalf("error initializing %s: %s: %v", d.what, d.dir, err)
		}
	}
	for _, d := range []string{s.SpoeDir, s.SpoeTransactionDir} {
		if _, err := checkOrCreateWritableDirectory(d); err != nil {
			logFatalf("error setting up spoe: %s: %v", d, err)
		}
	}
	if _, err := checkOrCreateWritableDirectory(s.DataplaneStorageDir); err != nil {
		logFatalf("error initializing dataplane internal storage: %s: %v", s.DataplaneStorageDir, err)
	}

	if err := a.users.load(s); err != nil {
		logFatalf("Error initiating users: %s", err.Error())
	}
	logInfof("users: %d loaded", a.users.count())

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		for sig := range sigs {
			switch sig {
			case syscall.SIGUSR1:
				go func() {
					a.cfgMu.Lock()
					c := a.main
					a.cfgMu.Unlock()
					rt := configureRuntime(s, c)
					a.rtMu.Lock()
					a.rt = rt
					a.rtMu.Unlock()
					logInfof("Reloaded Data Plane API")
				}()
			case syscall.SIGUSR2:
				a.rereadConfiguration()
			default:
				logInfof("HAProxy Data Plane API shutting down")
				os.Exit(0)
			}
		}
	}()

	rt := a.runtime()
	useMaster := canUseMasterSocketReload(s, rt)
	if useMaster {
		logInfof("reloads: through the master socket %s (HAProxy %s >= 2.7)", s.MasterRuntime, versionString())
	} else {
		logInfof("reloads: running reload_cmd %q", s.ReloadCmd)
	}
	a.reloads, err = newReloadAgent(s, useMaster, rt)
	if err != nil {
		logFatalf("Cannot initialize reload agent: %v", err)
	}

	if !s.DisableInotify {
		if err := startWatcher(s.ConfigFile, func() {
			a.rereadConfiguration()
			if err := a.incrementVersion(); err != nil {
				logWarnf("Failed to increment configuration version: %v", err)
			}
		}); err != nil {
			s.DisableInotify = true
		}
	}

	if err := a.serve(); err != nil {
		logFatalf("Error running HAProxy Data Plane API: %s", err.Error())
	}
}

// canUseMasterSocketReload is dataplaneapi configure_data_plane.go:1195-1211:
// master_worker_mode, a unix master_runtime, a runtime client (whichever
// socket it reached: nothing checks that it is the master socket), and a
// version from GetVersion (asked again if init found none) of 2.7 or newer.
func canUseMasterSocketReload(s *settings, rt *runtimeClient) bool {
	if !(s.MasterWorkerMode && s.MasterRuntime != "" && isUnixSocketAddr(s.MasterRuntime)) {
		return false
	}
	if rt == nil {
		return false
	}
	v, err := rt.GetVersion()
	if err != nil {
		return false
	}
	return v.atLeast(2, 7, 0)
}
