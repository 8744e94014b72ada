package main

// The runtime API connection, as client-native v6.2.0 runtime/ makes it:
// every command is one connection; on a stats socket the command is sent as
// "set severity-output number;CMD\n", through the master socket as
// "set severity-output number;@1 CMD;quit\n" (to the first worker), and a
// master command as "CMD;quit" (runtime/runtime_single_client.go
// readFromSocket). The answer is read until the socket closes.

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

const taskTimeout = 30 * time.Second

type runtimeClient struct {
	socket string
	master bool
	mu     sync.Mutex

	// pid is the worker's Pid from `show info` at connect, for the
	// stand-in's own log line (upstream logs no such thing).
	pid string
}

func readFromSocket(path, full string, timeout time.Duration) (string, error) {
	conn, err := net.DialTimeout("unix", path, timeout)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return "", err
	}
	if _, err := conn.Write([]byte(full)); err != nil {
		return "", err
	}
	var data strings.Builder
	buf := make([]byte, 1024)
	for {
		n, rerr := conn.Read(buf)
		if rerr != nil {
			break
		}
		data.Write(buf[:n])
	}
	res := strings.TrimSuffix(data.String(), "\n> ")
	res = strings.TrimSuffix(res, "\n")
	return strings.TrimSpace(res), nil
}

// ExecuteRaw runs a command on the worker (one retry, as executeRaw does).
func (r *runtimeClient) ExecuteRaw(cmd string) (string, error) {
	full := fmt.Sprintf("set severity-output number;%s\n", cmd)
	if r.master {
		full = fmt.Sprintf("set severity-output number;@%v %s;quit\n", 1, cmd)
	}
	return r.exec(full)
}

// ExecuteMaster runs a command on the master CLI.
func (r *runtimeClient) ExecuteMaster(cmd string) (string, error) {
	return r.exec(cmd + ";quit")
}

func (r *runtimeClient) exec(full string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out, err := readFromSocket(r.socket, full, taskTimeout)
	if err != nil {
		out, err = readFromSocket(r.socket, full, taskTimeout)
	}
	return out, err
}

// connectRuntime waits up to max for the socket to answer "help", trying
// every tick (runtime_single_client.go Init with AllowDelayedStart), then
// asks for the version as client-native's init does (runtime_client.go:60,78
// `_, _ = c.GetVersion()`: an error is ignored, and a version already known
// is not asked again).
func connectRuntime(path string, master bool, max, tick time.Duration) (*runtimeClient, error) {
	r := &runtimeClient{socket: path, master: master}
	start := time.Now()
	for {
		_, err := r.ExecuteRaw("help")
		if err == nil {
			break
		}
		time.Sleep(tick)
		if time.Since(start) > max {
			return nil, fmt.Errorf("cannot connect to runtime API %s within %s: %w", path, max, err)
		}
	}
	_, _ = r.GetVersion()
	if out, err := r.ExecuteRaw("show info"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "Pid: ") {
				r.pid = strings.TrimPrefix(line, "Pid: ")
			}
		}
	}
	return r, nil
}

// The HAProxy version as client-native v6.2.0 keeps it (runtime/runtime_client.go:110-162):
// one value for the whole process, set by the first `show info` that yields a
// version that parses, and never refreshed; a runtime client made later (SIGUSR1)
// gets the version the first one found, whatever HAProxy runs by then.
var (
	versionMu     sync.Mutex
	cachedVersion *haproxyVersion
)

// knownVersion is the package-global haproxyVersion, nil until GetVersion succeeds.
func knownVersion() *haproxyVersion {
	versionMu.Lock()
	defer versionMu.Unlock()
	return cachedVersion
}

// GetVersion is runtime_client.go GetVersion: the cached version, else `show
// info` through this client; a failure caches nothing, so the next call asks again.
func (r *runtimeClient) GetVersion() (haproxyVersion, error) {
	versionMu.Lock()
	defer versionMu.Unlock()
	if cachedVersion != nil {
		return *cachedVersion, nil
	}
	if r == nil || r.socket == "" {
		return haproxyVersion{}, errors.New("no valid runtime found")
	}
	out, err := r.ExecuteRaw("show info")
	if err != nil {
		return haproxyVersion{}, err
	}
	v, err := versionFromShowInfo(out)
	if err != nil {
		return haproxyVersion{}, err
	}
	cachedVersion = v
	return *v, nil
}

// versionFromShowInfo is the loop of runtime_client.go GetVersion (:128-158):
// the first line that starts with "Version: ", or else with a digit 3 to 9,
// decides; its parse error is the answer.
func versionFromShowInfo(out string) (*haproxyVersion, error) {
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "Version: ") {
			v := &haproxyVersion{}
			if err := v.parse(strings.TrimPrefix(line, "Version: ")); err != nil {
				return nil, err
			}
			return v, nil
		}
		// "Starting with HAProxy 3.0, there is no more "Version:" prefix." (upstream's comment;
		// Debian 13's HAProxy 3.0.11 still writes it).
		if len(line) > 0 && line[0] >= '3' && line[0] <= '9' {
			v := &haproxyVersion{}
			if err := v.parse(line); err != nil {
				return nil, err
			}
			return v, nil
		}
	}
	return nil, errors.New("version data not found")
}

// haproxyVersion is runtime/version.go HAProxyVersion, fields in the same
// order, so that `%v` of a pointer prints as upstream's does
// (`&{1+deb12u1 2.6.12-1+deb12u1 2 6 12}`).
type haproxyVersion struct {
	Commit  string
	Version string
	Major   int
	Minor   int
	Patch   int
}

// parse is runtime/version.go ParseHAProxyVersion: the numbers before the
// first "-" are taken as far as they parse, but without a "-" the version is
// refused.
func (v *haproxyVersion) parse(s string) error {
	v.Version = s
	parts := strings.SplitN(s, "-", 2)
	data := strings.SplitN(parts[0], ".", 3)
	if n, err := strconv.Atoi(data[0]); err == nil {
		v.Major = n
	}
	if len(data) > 1 {
		if n, err := strconv.Atoi(data[1]); err == nil {
			v.Minor = n
		}
	}
	if len(data) > 2 {
		if n, err := strconv.Atoi(data[2]); err == nil {
			v.Patch = n
		}
	}
	if len(parts) < 2 {
		return fmt.Errorf("version is not in correct format [%s]", s)
	}
	data = strings.Split(parts[1], "-")
	if len(data) < 2 {
		v.Commit = data[0]
	} else {
		v.Commit = data[len(data)-2]
	}
	return nil
}

// atLeast is runtime/version.go IsBiggerOrEqual(&{major, minor, patch}, v).
func (v *haproxyVersion) atLeast(major, minor, patch int) bool {
	if v == nil {
		return false
	}
	if v.Major > major {
		return true
	}
	if v.Major == major {
		switch {
		case v.Minor > minor:
			return true
		case v.Minor == minor:
			return v.Patch >= patch
		}
	}
	return false
}

// MasterReload is runtime_client.go Reload: "reload" on the master CLI,
// judged by its status line ("Success=1" / "Success=0", then "\n--\n" and
// the startup logs). Without a "--" separator the status is the answer minus
// its last character, exactly as client-native v6.2.0 computes it.
func (r *runtimeClient) MasterReload() (string, error) {
	if r == nil || !r.master {
		return "", errors.New("cannot reload: not connected to a master socket")
	}
	if v := knownVersion(); !v.atLeast(2, 7, 0) {
		return "", fmt.Errorf("cannot reload: requires HAProxy 2.7 or later but current version is %v", v)
	}
	if r.socket == "" {
		return "", errors.New("cannot reload: no valid runtime found")
	}
	out, err := r.ExecuteMaster("reload")
	if err != nil {
		return "", fmt.Errorf("cannot reload: %w", err)
	}
	var status, logs string
	parts := strings.SplitN(out, "\n--\n", 2)
	if len(parts) == 1 {
		if len(out) > 0 {
			status = out[:len(out)-1]
		}
	} else {
		status, logs = parts[0], parts[1]
	}
	switch status {
	case "Success=1":
		return logs, nil
	case "Success=0":
		return logs, errors.New("failed to reload configuration")
	default:
		return logs, fmt.Errorf("reload: unknown status: %s", status)
	}
}

// configureRuntime picks the runtime connection as dataplaneapi
// client-native/cn.go ConfigureRuntimeClient does: the master socket when
// master_runtime is a unix socket, else each unix `stats socket` of global in
// turn, each given delayed_start_max to answer; else none.
func configureRuntime(s *settings, cfg *haproxyConfig) *runtimeClient {
	if s.MasterRuntime != "" && isUnixSocketAddr(s.MasterRuntime) {
		rt, err := connectRuntime(s.MasterRuntime, true, s.DelayedStartMax, s.DelayedStartTick)
		if err == nil {
			logInfof("runtime API: using the master socket %s (HAProxy %s, worker pid %s)", s.MasterRuntime, versionString(), rt.pid)
			return rt
		}
		logWarnf("Error setting up runtime client with master socket: %s : %s", s.MasterRuntime, err.Error())
	}
	var lastErr error
	for _, addr := range cfg.StatsSockets() {
		if !isUnixSocketAddr(addr) {
			continue
		}
		rt, err := connectRuntime(addr, false, s.DelayedStartMax, s.DelayedStartTick)
		if err == nil {
			logInfof("runtime API: using the stats socket %s (HAProxy %s, pid %s)", addr, versionString(), rt.pid)
			return rt
		}
		lastErr = err
		logWarnf("Error setting up runtime client with socket: %s : %s", addr, err.Error())
	}
	if lastErr != nil {
		logWarnf("Runtime API not configured, not using it: %s", lastErr.Error())
	} else {
		logWarnf("Runtime API not configured, not using it")
	}
	return nil
}

// versionString names the version the process knows, for log lines.
func versionString() string {
	if v := knownVersion(); v != nil {
		return v.Version
	}
	return "unknown"
}
