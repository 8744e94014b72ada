package main

// Transactions as client-native v6.2.0 configuration/transaction.go keeps
// them with persistent transactions (dataplaneapi client-native/cn.go:34):
// one file per transaction, <transaction_dir>/haproxy.cfg.<uuid>, moved to
// failed/ or outdated/ when it cannot be committed. A write with ?version=N
// is an implicit transaction started, changed and committed at once.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

type transactionModel struct {
	Version int64  `json:"_version,omitempty"`
	ID      string `json:"id,omitempty"`
	Status  string `json:"status,omitempty"`
}

// transactionFileName is getTransactionFileName: <base of haproxy.cfg>.<id>.
func transactionFileName(configFile, tid string) string {
	return filepath.Base(filepath.Clean(configFile)) + "." + tid
}

// transactionIDFromFile is parseTransactionFile's id: the part after the last dot.
func transactionIDFromFile(name string) string {
	s := strings.Split(name, ".")
	return s[len(s)-1]
}

// findTransactionFile is GetTransactionFile: outdated/, then failed/, then
// the directory itself; the status follows from where it was found.
func findTransactionFile(dir, configFile, tid string) (path, status string, err error) {
	name := transactionFileName(configFile, tid)
	for _, c := range []struct{ p, st string }{
		{filepath.Join(dir, "outdated", name), "outdated"},
		{filepath.Join(dir, "failed", name), "failed"},
		{filepath.Join(dir, name), "in_progress"},
	} {
		if _, e := os.Stat(c.p); e == nil {
			return c.p, c.st, nil
		}
	}
	return "", "", errf(404, "transaction does not exist: transaction file %v does not exist", tid)
}

// moveTransaction is writeFailedTransaction / writeOutdatedTransaction:
// Mkdir 0755 of the status directory, rename, or remove when that fails.
func moveTransaction(file, status string) {
	dir := filepath.Join(filepath.Dir(file), status)
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		_ = os.Mkdir(dir, 0o755)
	}
	if err := os.Rename(file, filepath.Join(dir, filepath.Base(file))); err != nil {
		_ = os.Remove(file)
	}
}

// readConfigFile parses a transaction file with a transaction parser (no implicit from).
func readConfigFile(path string) (*haproxyConfig, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseHaproxyConfig(f, parseOptions{namedDefaultsFrom: false})
}

// listTransactions is parseTransactions for a status ("" = all).
func (a *api) listTransactions(status string) ([]transactionModel, error) {
	dir := a.s.TransactionDir
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		return []transactionModel{}, nil
	}
	prefix := filepath.Base(filepath.Clean(a.s.ConfigFile))
	out := []transactionModel{}
	add := func(path, st string) {
		t := transactionModel{ID: transactionIDFromFile(filepath.Base(path)), Status: st}
		if c, err := readConfigFile(path); err == nil {
			t.Version = c.EnsureVersion()
		}
		out = append(out, t)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		switch {
		case !e.IsDir() && (status == "" || status == "in_progress"):
			if strings.HasPrefix(e.Name(), prefix) {
				add(filepath.Join(dir, e.Name()), "in_progress")
			}
		case e.IsDir() && (e.Name() == "failed" || e.Name() == "outdated") && (status == "" || status == e.Name()):
			sub, err := os.ReadDir(filepath.Join(dir, e.Name()))
			if err != nil {
				return nil, err
			}
			for _, f := range sub {
				if !f.IsDir() && strings.HasPrefix(f.Name(), prefix) {
					add(filepath.Join(dir, e.Name(), f.Name()), e.Name())
				}
			}
		}
	}
	return out, nil
}

// loadTransactionsAtStart parses every in-progress transaction file, as
// client-native does when it starts with persistent transactions
// (transaction-handling.go:34-57); one that fails to load is fatal.
func (a *api) loadTransactionsAtStart() error {
	prefix := filepath.Base(filepath.Clean(a.s.ConfigFile)) + "."
	entries, err := os.ReadDir(a.s.TransactionDir)
	if err != nil {
		return err
	}
	n := 0
	for _, e := range entries {
		if e.IsDir() || !strings.HasPrefix(e.Name(), prefix) {
			continue
		}
		path := filepath.Join(a.s.TransactionDir, e.Name())
		if _, err := readConfigFile(path); err != nil {
			// InitTransactionParsers: NewConfError(ErrCannotReadConfFile, "cannot read "+tFile)
			logWarnf("transaction %s: %v", transactionIDFromFile(e.Name()), err)
			return fmt.Errorf("failed to read configuration: cannot read %s", path)
		}
		n++
	}
	if n > 0 {
		logInfof("transactions: %d in progress loaded from %s", n, a.s.TransactionDir)
	}
	return nil
}

// startTransactionLocked is startTransaction: version check, then the
// transaction file from the in-memory configuration. cfgMu is held.
func (a *api) startTransactionLocked(version int64) (*transactionModel, string, error) {
	cur := a.main.EnsureVersion()
	if version != cur {
		return nil, "", errf(409, "version mismatch: version in configuration file is %v, given version is %v", cur, version)
	}
	tid := newUUID()
	if err := os.MkdirAll(a.s.TransactionDir, 0o755); err != nil {
		return nil, "", errf(500, "%s", err.Error())
	}
	tfile := filepath.Join(a.s.TransactionDir, transactionFileName(a.s.ConfigFile, tid))
	if err := writeLocked(tfile, []byte(a.main.StringWithHash())); err != nil {
		return nil, "", errf(500, "%s", err.Error())
	}
	return &transactionModel{Version: version, ID: tid, Status: "in_progress"}, tfile, nil
}

func (a *api) startTransaction(version int64) (*transactionModel, error) {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	t, _, err := a.startTransactionLocked(version)
	return t, err
}

// commitLocked is commitTransaction from the version check on: save the
// transaction file, bump its version, `haproxy -c` it (failed/ on error),
// back up the current version, write haproxy.cfg, remove the file.
func (a *api) commitLocked(tfile, tid string) (*transactionModel, error) {
	cur := a.main.EnsureVersion()
	tcfg, err := readConfigFile(tfile)
	if err != nil {
		moveTransaction(tfile, "failed")
		return nil, errf(500, "failed to read configuration: %s", err.Error())
	}
	tVersion := tcfg.EnsureVersion()
	if tVersion != cur {
		moveTransaction(tfile, "outdated")
		return nil, errf(409, "version mismatch: version mismatch, transaction version: %v, configured version: %v", tVersion, cur)
	}
	tcfg.Version++
	if err := writeLocked(tfile, []byte(tcfg.StringWithHash())); err != nil {
		moveTransaction(tfile, "failed")
		return nil, errf(500, "invalid change: %s", err.Error())
	}
	if err := a.check(tfile, tid); err != nil {
		moveTransaction(tfile, "failed")
		return nil, err
	}
	a.saveBackup(cur)
	if err := writeLocked(a.s.ConfigFile, []byte(tcfg.StringWithHash())); err != nil {
		moveTransaction(tfile, "failed")
		return nil, errf(500, "%s", err.Error())
	}
	os.Remove(tfile)
	a.main = tcfg
	return &transactionModel{ID: tid, Version: tVersion, Status: "success"}, nil
}

// change runs fn on the configuration of transaction tid, or, with a
// version, of an implicit transaction it then commits
// (loadDataForChange + SaveData). cfgMu is taken here.
func (a *api) change(tid string, version int64, fn func(c *haproxyConfig) error) error {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	if tid != "" && version != 0 {
		return errf(400, "both version and transaction specified, specify only one")
	}
	if tid == "" && version == 0 {
		return errf(400, "version or transaction not specified: version or transaction not specified, specify only one")
	}
	var tfile string
	if tid != "" {
		p, status, err := findTransactionFile(a.s.TransactionDir, a.s.ConfigFile, tid)
		if err != nil || status != "in_progress" {
			return errf(400, "transaction does not exist: transaction %s does not exist", tid)
		}
		tfile = p
	} else {
		t, f, err := a.startTransactionLocked(version)
		if err != nil {
			return err
		}
		tid, tfile = t.ID, f
	}
	c, err := readConfigFile(tfile)
	if err == nil {
		err = fn(c)
	}
	if err == nil {
		if werr := writeLocked(tfile, []byte(c.StringWithHash())); werr != nil {
			err = errf(500, "invalid change: %s", werr.Error())
		}
	}
	if err != nil {
		if version != 0 {
			os.Remove(tfile) // ErrAndDeleteTransaction
		}
		return err
	}
	if version != 0 {
		_, err = a.commitLocked(tfile, tid)
	}
	return err
}

// commitTransaction is the commit handler's part under the lock: status
// check (406), commit, and every other in-progress transaction of a version
// <= the committed one moved to outdated/ (dp handlers/transaction.go:181-192).
func (a *api) commitTransaction(tid string) (*transactionModel, error) {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	p, status, err := findTransactionFile(a.s.TransactionDir, a.s.ConfigFile, tid)
	if err != nil {
		return nil, err
	}
	switch status {
	case "outdated", "failed":
		return nil, errf(406, "transaction %s is %s and cannot be committed", tid, status)
	}
	t, err := a.commitLocked(p, tid)
	if err != nil {
		return nil, err
	}
	cur := a.main.EnsureVersion()
	for _, other := range a.inProgressLocked() {
		if other.Version <= t.Version && other.Version < cur {
			moveTransaction(filepath.Join(a.s.TransactionDir, transactionFileName(a.s.ConfigFile, other.ID)), "outdated")
		}
	}
	return t, nil
}

func (a *api) inProgressLocked() []transactionModel {
	ts, err := a.listTransactions("in_progress")
	if err != nil {
		return nil
	}
	return ts
}

func (a *api) getTransaction(tid string) (*transactionModel, error) {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	p, status, err := findTransactionFile(a.s.TransactionDir, a.s.ConfigFile, tid)
	if err != nil {
		return nil, err
	}
	t := &transactionModel{ID: tid, Status: status}
	if c, err := readConfigFile(p); err == nil {
		t.Version = c.EnsureVersion()
	}
	return t, nil
}

// deleteTransaction is DeleteTransaction: the file removed, wherever it is.
func (a *api) deleteTransaction(tid string) error {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	p, _, err := findTransactionFile(a.s.TransactionDir, a.s.ConfigFile, tid)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return errf(500, "%s", err.Error())
	}
	return nil
}

// readConfig returns a copy of the configuration a GET reads: the
// transaction's file, or the in-memory configuration.
func (a *api) readConfig(tid string) (*haproxyConfig, error) {
	a.cfgMu.Lock()
	defer a.cfgMu.Unlock()
	if tid == "" {
		return a.main, nil
	}
	p, _, err := findTransactionFile(a.s.TransactionDir, a.s.ConfigFile, tid)
	if err != nil {
		return nil, errf(400, "transaction does not exist: transaction %s does not exist", tid)
	}
	c, err := readConfigFile(p)
	if err != nil {
		return nil, errf(500, "%s", err.Error())
	}
	return c, nil
}

// sortedBackendNames lists the backends of a configuration by name.
func sortedBackendNames(c *haproxyConfig) []string {
	var names []string
	for n := range c.Sections["backend"] {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
