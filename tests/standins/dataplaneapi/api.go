package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// confError is a client-native ConfError as dataplaneapi misc.HandleError
// maps it to an HTTP status.
type confError struct {
	code int
	msg  string
}

func (e *confError) Error() string { return e.msg }

func errf(code int, format string, a ...interface{}) *confError {
	return &confError{code: code, msg: fmt.Sprintf(format, a...)}
}

type api struct {
	s     *settings
	users userStore

	cfgMu sync.Mutex // the configuration client (client-native's clientMu and transaction mutex)
	main  *haproxyConfig

	rtMu sync.Mutex
	rt   *runtimeClient

	reloads *reloadAgent
}

func (a *api) runtime() *runtimeClient {
	a.rtMu.Lock()
	defer a.rtMu.Unlock()
	return a.rt
}

// haproxyVersionCheck runs `<haproxy_bin> -v` as client-native's
// configuration.New does at every (re)configuration; it decides whether
// sections get an implicit "from <last defaults>" (HAProxy >= 2.4).
func haproxyVersionCheck(bin string) (namedDefaultsFrom bool, out string, err error) {
	b, err := exec.Command(bin, "-v").Output()
	if err != nil {
		return false, "", fmt.Errorf("error setting up configuration client: path to HAProxy binary not valid: %s, err: %s", bin, err.Error())
	}
	out = string(b)
	i := strings.Index(out, "HAProxy version ")
	if !strings.HasPrefix(out, "HAProxy version ") || i < 0 {
		return false, out, nil
	}
	v := out[i+len("HAProxy version "):]
	vs := strings.SplitN(v, "-", 2)
	if len(vs) != 2 {
		return false, out, nil
	}
	nums := strings.SplitN(vs[0], ".", 3)
	if len(nums) != 3 {
		return false, out, nil
	}
	major, e1 := strconv.Atoi(nums[0])
	minor, e2 := strconv.Atoi(nums[1])
	if e1 != nil || e2 != nil {
		return false, out, nil
	}
	return !(major < 2 || (major == 2 && minor < 4)), out, nil
}

// loadMainConfig is ConfigureConfigurationClient: `haproxy -v`, parse the
// file, add the disclaimer comments.
func (a *api) loadMainConfig() (*haproxyConfig, error) {
	named, _, err := haproxyVersionCheck(a.s.HAProxyBin)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(a.s.ConfigFile)
	if err != nil {
		return nil, fmt.Errorf("error setting up configuration client: Cannot read %s", a.s.ConfigFile)
	}
	defer f.Close()
	c, err := parseHaproxyConfig(f, parseOptions{namedDefaultsFrom: named})
	if err != nil {
		return nil, fmt.Errorf("error setting up configuration client: Cannot read %s", a.s.ConfigFile)
	}
	c.AddDisclaimer()
	return c, nil
}

// rereadConfiguration is configure_data_plane.go reloadConfigurationFile
// (SIGUSR2 and the watcher): a fresh configuration client and the users
// again; either failing is fatal.
func (a *api) rereadConfiguration() {
	c, err := a.loadMainConfig()
	if err != nil {
		logFatalf("%s", err.Error())
	}
	if err := a.users.load(a.s); err != nil {
		logFatalf("%s", err.Error())
	}
	logInfof("Rereading Configuration Files")
	a.cfgMu.Lock()
	a.main = c
	a.cfgMu.Unlock()
}

// incrementVersion is client-native IncrementVersion: version + 1 and save.
func (a *api) incrementVersion() error {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	a.main.EnsureVersion()
	a.main.Version++
	if err := writeLocked(a.s.ConfigFile, []byte(a.main.StringWithHash())); err != nil {
		return fmt.Errorf("cannot set version: %w", err)
	}
	return nil
}

func (a *api) currentVersion() int64 {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	return a.main.EnsureVersion()
}

func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// postRaw is client-native configuration/raw.go PostRawConfiguration with
// the commit of transaction.go commitTransaction.
func (a *api) postRaw(body string, version int64, skipVersion, onlyValidate bool) error {
	if onlyValidate {
		f, err := os.CreateTemp("/tmp", "onlyvalidate")
		if err != nil {
			return errf(400, "%s", err.Error())
		}
		defer os.Remove(f.Name())
		if _, err := f.WriteString(body); err != nil {
			return errf(400, "%s", err.Error())
		}
		_ = f.Sync()
		f.Close()
		return a.check(f.Name(), "")
	}
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	cur := a.main.EnsureVersion()
	if !skipVersion {
		if version == 0 {
			return errf(400, "version or transaction not specified, specify only one")
		}
		if version != cur {
			return errf(409, "version in configuration file is %v, given version is %v", cur, version)
		}
	}
	tid := newUUID()
	tdir := a.s.TransactionDir
	if err := os.MkdirAll(tdir, 0o755); err != nil {
		return errf(500, "%s", err.Error())
	}
	tfile := filepath.Join(tdir, filepath.Base(filepath.Clean(a.s.ConfigFile))+"."+tid)
	// createTransactionFiles: the current configuration first ...
	if err := writeLocked(tfile, []byte(a.main.StringWithHash())); err != nil {
		return errf(500, "%s", err.Error())
	}
	// ... then the pushed text written over it.
	content := body
	if !skipVersion {
		content = fmt.Sprintf("# _version=%d\n%s", version, dropVersionLines(body))
	}
	if err := os.WriteFile(tfile, []byte(content), 0o777); err != nil {
		return errf(500, "%s", err.Error())
	}
	f, err := os.Open(tfile)
	if err != nil {
		return errf(500, "Cannot read %s", tfile)
	}
	tcfg, err := parseHaproxyConfig(f, parseOptions{namedDefaultsFrom: false})
	f.Close()
	if err != nil {
		return errf(500, "Cannot read %s", tfile)
	}
	tVersion := tcfg.EnsureVersion()
	if !skipVersion && tVersion != cur {
		a.failTransaction(tfile, "outdated")
		return errf(409, "version mismatch, transaction version: %v, configured version: %v", tVersion, cur)
	}
	if err := writeLocked(tfile, []byte(tcfg.StringWithHash())); err != nil {
		a.failTransaction(tfile, "failed")
		return errf(500, "%s", err.Error())
	}
	if !skipVersion {
		tcfg.Version++
	}
	if err := a.check(tfile, tid); err != nil {
		a.failTransaction(tfile, "failed")
		return err
	}
	a.saveBackup(cur)
	if err := writeLocked(a.s.ConfigFile, []byte(tcfg.StringWithHash())); err != nil {
		a.failTransaction(tfile, "failed")
		return errf(500, "%s", err.Error())
	}
	os.Remove(tfile)
	a.main = tcfg
	return nil
}

// failTransaction moves a transaction file to <transaction_dir>/failed or /outdated.
// saveBackup keeps the configuration of version cur as
// <backups_dir>/haproxy.cfg.<cur> (without backups_dir: beside haproxy.cfg)
// and drops the one backups_number versions older, when backups_number > 0
// (client-native configuration/transaction.go:213-220); every commit does it.
func (a *api) saveBackup(cur int64) {
	if a.s.BackupsNumber <= 0 {
		return
	}
	dir := a.s.BackupsDir
	if dir == "" {
		dir = filepath.Dir(a.s.ConfigFile)
	}
	prefix := filepath.Join(dir, filepath.Base(a.s.ConfigFile))
	_ = writeLocked(fmt.Sprintf("%s.%d", prefix, cur), []byte(a.main.StringWithHash()))
	os.Remove(fmt.Sprintf("%s.%d", prefix, int(cur)-a.s.BackupsNumber))
}

func (a *api) failTransaction(tfile, status string) {
	dir := filepath.Join(filepath.Dir(tfile), status)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	_ = os.Rename(tfile, filepath.Join(dir, filepath.Base(tfile)))
}

// check validates a file as client-native configuration/check.go does:
// validate_cmd (for a transaction) or `haproxy -W -f FILE -c`, as the
// service user, with a few HAProxy variables removed from the environment.
func (a *api) check(path, tid string) error {
	var name string
	var args []string
	env := []string{}
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "HAPROXY_STARTUPLOGS_FD=") || strings.HasPrefix(e, "HAPROXY_MWORKER_WAIT_ONLY=") || strings.HasPrefix(e, "HAPROXY_PROCESSES=") {
			continue
		}
		env = append(env, e)
	}
	if tid != "" && a.s.ValidateCmd != "" {
		w, err := shellSplit(a.s.ValidateCmd)
		if err != nil || len(w) == 0 {
			return errf(400, "cannot split validate_cmd: %v", err)
		}
		name, args = w[0], w[1:]
		env = append(env, "DATAPLANEAPI_TRANSACTION_FILE="+path)
	} else {
		// master_worker is always on for the API's configuration client.
		name, args = a.s.HAProxyBin, []string{"-W", "-f", path, "-c"}
	}
	cmd := exec.Command(name, args...)
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		var ids []string
		if tid != "" {
			ids = []string{tid}
		}
		return errf(400, "%s: %s", err.Error(), parseCheckError(stderr.String(), ids...))
	}
	return nil
}

// parseCheckError condenses `haproxy -c` output to its [ALERT] lines, as
// client-native check.go parseHAProxyCheckError does.
func parseCheckError(output string, tid ...string) string {
	var b strings.Builder
	if len(tid) > 0 && tid[0] != "" {
		b.WriteString(fmt.Sprintf("err transactionId=%s \n", tid[0]))
	}
	for _, whole := range strings.Split(output, "\n") {
		line := strings.TrimSpace(whole)
		if !strings.HasPrefix(line, "[ALERT]") {
			continue
		}
		if strings.HasSuffix(line, "fatal errors found in configuration.") || strings.Contains(line, "error(s) found in configuration file : ") {
			continue
		}
		parts := strings.Split(line, " : ")
		if len(parts) > 2 && strings.HasPrefix(strings.TrimSpace(parts[1]), "parsing [") {
			fParts := strings.Split(strings.TrimSpace(parts[1]), ":")
			msg := strings.TrimSpace(strings.Join(parts[2:], " "))
			if len(fParts) > 1 {
				if n, err := strconv.ParseInt(strings.TrimSuffix(fParts[1], "]"), 10, 64); err == nil {
					b.WriteString(fmt.Sprintf("line=%d msg=\"%s\"\n", n, msg))
				} else {
					b.WriteString(fmt.Sprintf("msg=\"%s\"\n", msg))
				}
			}
		} else if len(parts) > 1 {
			b.WriteString(fmt.Sprintf("msg=\"%s\"\n", strings.TrimSpace(strings.Join(parts[1:], " "))))
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// shellSplit splits a command line into words with POSIX shell quoting
// (single quotes, double quotes, backslash), like go-shellquote.Split.
func shellSplit(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
			if i < len(s) {
				cur.WriteByte(s[i])
			}
			inWord = true
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single-quoted string")
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated double-quoted string")
			}
			inWord = true
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
