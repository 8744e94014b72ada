package main

// The reload agent, after dataplaneapi v3.2.1 haproxy/reload_agent.go:
// reloads asked for are batched and run every reload_delay seconds; a failed
// reload puts the last known good configuration back.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

type reloadInfo struct {
	ID              string `json:"id"`
	ReloadTimestamp int64  `json:"reload_timestamp,omitempty"`
	Response        string `json:"response,omitempty"`
	Status          string `json:"status"`
}

type reloadAgent struct {
	mu          sync.Mutex
	next        string
	current     string
	index       int64
	lastSuccess *reloadInfo
	failed      map[string]*reloadInfo
	retention   int

	delay      time.Duration
	reloadCmd  string
	restartCmd string
	statusCmd  string
	configFile string
	lkg        string
	useMaster  bool
	// runtime is the client the agent was made with (reload_agent.go:107-113):
	// a later SIGUSR1 replaces the API's runtime client but not this one.
	runtime *runtimeClient
	done    chan struct{}
}

// lkgPath is setLkgPath: <backups_dir>/<base>.lkg, or <config>.lkg without a backups_dir.
func lkgPath(configFile, backupsDir string) (string, error) {
	if backupsDir != "" {
		dir, err := checkOrCreateWritableDirectory(backupsDir)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s/%s.lkg", dir, filepath.Base(configFile)), nil
	}
	return configFile + ".lkg", nil
}

func newReloadAgent(s *settings, useMaster bool, rt *runtimeClient) (*reloadAgent, error) {
	ra := &reloadAgent{
		failed: map[string]*reloadInfo{}, retention: 1,
		reloadCmd: s.ReloadCmd, restartCmd: s.RestartCmd, statusCmd: s.StatusCmd,
		configFile: s.ConfigFile, useMaster: useMaster, done: make(chan struct{}),
	}
	if useMaster {
		// params.Client.Runtime() fails only without a runtime client.
		if rt == nil {
			return nil, errors.New("no runtime client")
		}
		ra.runtime = rt
	}
	delay := s.ReloadDelay * 1000
	if d := os.Getenv("CI_DATAPLANE_RELOAD_DELAY_OVERRIDE"); d != "" {
		delay, _ = strconv.Atoi(d)
	}
	if delay == 0 {
		delay = 5000
	}
	ra.delay = time.Duration(delay) * time.Millisecond
	lkg, err := lkgPath(s.ConfigFile, s.BackupsDir)
	if err != nil {
		return nil, err
	}
	ra.lkg = lkg
	// "create last known good file, assume it is valid when starting"
	if err := copyFile(ra.configFile, ra.lkg); err != nil {
		return nil, err
	}
	go ra.loop()
	return ra, nil
}

func (ra *reloadAgent) loop() {
	t := time.NewTicker(ra.delay)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			ra.mu.Lock()
			next := ra.next
			ra.mu.Unlock()
			if next != "" {
				_, _ = ra.handleReload(next)
			}
		case <-ra.done:
			return
		}
	}
}

func (ra *reloadAgent) handleReload(id string) (string, error) {
	ra.mu.Lock()
	ra.current = id
	defer func() {
		ra.next = ""
		ra.mu.Unlock()
	}()
	resp, err := ra.reloadHAProxy(id)
	now := time.Now().Unix()
	if err != nil {
		ra.failed[id] = &reloadInfo{ID: id, Status: "failed", Response: resp, ReloadTimestamp: now}
		ra.current = ""
		for k, v := range ra.failed {
			if now-v.ReloadTimestamp > int64(ra.retention*86400) {
				delete(ra.failed, k)
			}
		}
		logWarnf("Reload failed: %s (reload_id=%s)", err, id)
	} else {
		ra.lastSuccess = &reloadInfo{ID: id, Status: "succeeded", Response: resp, ReloadTimestamp: now}
		ra.current = ""
		logInfof("Reload %s succeeded", id)
	}
	return resp, err
}

func (ra *reloadAgent) reloadHAProxy(id string) (string, error) {
	var out string
	var err error
	if ra.useMaster {
		out, err = ra.runtime.MasterReload()
	} else {
		out, err = execCmd(ra.reloadCmd)
	}
	if err != nil {
		logInfof("Reload failed, reverting the last working config... (reload_id=%s)", id)
		if cerr := copyFile(ra.configFile, ra.configFile+".bck"); cerr != nil {
			return fmt.Sprintf("Reload failed: %s. Failed to backup the current config file.", out), cerr
		}
		defer os.Remove(ra.configFile + ".bck")
		if cerr := copyFile(ra.lkg, ra.configFile); cerr != nil {
			return fmt.Sprintf("Reload failed: %s. Failed to revert to the last working config file.", out), cerr
		}
		return out, err
	}
	_ = copyFile(ra.configFile, ra.lkg)
	return out, nil
}

// execCmd is reload_agent.go execCmd: split on single spaces, no shell; the
// exit status alone decides.
func execCmd(cmd string) (string, error) {
	args := strings.Split(cmd, " ")
	c := exec.Command(args[0], args[1:]...)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return stderr.String(), fmt.Errorf("executing %s failed: %s", cmd, err)
	}
	return stdout.String(), nil
}

// Reload schedules a reload and returns its id (YYYY-MM-DD-N).
func (ra *reloadAgent) Reload() string {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	if ra.next == "" {
		ra.next = fmt.Sprintf("%s-%v", time.Now().Format("2006-01-02"), ra.index)
		ra.index++
	}
	return ra.next
}

// ForceReload reloads now.
func (ra *reloadAgent) ForceReload() error {
	ra.mu.Lock()
	next := ra.next
	ra.mu.Unlock()
	var r string
	var err error
	if next != "" {
		r, err = ra.handleReload(next)
	} else {
		ra.mu.Lock()
		r, err = ra.reloadHAProxy("force")
		ra.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("Reload failed: %v, %v", err, r)
	}
	return nil
}

// Status runs status_cmd (health endpoint).
func (ra *reloadAgent) Status() (bool, error) {
	if ra.statusCmd == "" {
		return false, fmt.Errorf("status command not configured")
	}
	if _, err := execCmd(ra.statusCmd); err != nil {
		return false, nil
	}
	return true, nil
}

func (ra *reloadAgent) GetReloads() []*reloadInfo {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	v := []*reloadInfo{}
	for _, r := range ra.failed {
		v = append(v, r)
	}
	if ra.lastSuccess != nil {
		v = append(v, ra.lastSuccess)
	}
	if ra.current != "" {
		v = append(v, &reloadInfo{ID: ra.current, Status: "in_progress"})
	}
	if ra.next != "" {
		v = append(v, &reloadInfo{ID: ra.next, Status: "in_progress"})
	}
	return v
}

// GetReload is reload_agent.go GetReload (including that a pending "next"
// reload is answered with the id of the current one, as upstream does).
func (ra *reloadAgent) GetReload(id string) *reloadInfo {
	ra.mu.Lock()
	defer ra.mu.Unlock()
	if ra.current == id {
		return &reloadInfo{ID: ra.current, Status: "in_progress"}
	}
	if ra.next == id {
		return &reloadInfo{ID: ra.current, Status: "in_progress"}
	}
	if r, ok := ra.failed[id]; ok {
		return r
	}
	if ra.lastSuccess != nil {
		if ra.lastSuccess.ID == id {
			return ra.lastSuccess
		}
		sDate, sIndex, err := reloadIDParts(ra.lastSuccess.ID)
		if err != nil {
			return nil
		}
		gDate, gIndex, err := reloadIDParts(id)
		if err != nil {
			return nil
		}
		if gDate.Before(sDate) || sIndex > gIndex {
			return &reloadInfo{ID: id, Status: "succeeded"}
		}
	}
	return nil
}

func reloadIDParts(id string) (time.Time, int64, error) {
	data := strings.Split(id, "-")
	idx, err := strconv.ParseInt(data[len(data)-1], 10, 64)
	if err != nil {
		return time.Now(), 0, err
	}
	d, err := time.Parse("2006-01-02", strings.Join(data[:len(data)-1], "-"))
	return d, idx, err
}
