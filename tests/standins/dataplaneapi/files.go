package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// writeFileAtomic writes data to a temporary file next to path and renames it
// over path, mode 0644, as github.com/google/renameio WriteFile does (its
// temporary file is named "."+base+random in the target's directory; the
// real one first probes whether $TMPDIR could be used, which fails across
// the mount of a PrivateTmp=true unit, so the directory of the file is what
// it uses there).
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path))
	if err != nil {
		return err
	}
	tmp := f.Name()
	cleanup := func() { _ = os.Remove(tmp) }
	if _, err := f.Write(data); err != nil {
		f.Close()
		cleanup()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		cleanup()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		cleanup()
		return err
	}
	if err := f.Close(); err != nil {
		cleanup()
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		cleanup()
		return err
	}
	return nil
}

// copyFile is dataplaneapi haproxy/reload_agent.go copyFile: read all, then
// an atomic write with mode 0644.
func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return writeFileAtomic(dst, data, 0o644)
}

// writeLocked saves the HAProxy configuration the way config-parser's save
// does: an exclusive flock on the configuration file itself (gofrs/flock
// opens the path O_CREATE|O_RDONLY, mode 0600 when it creates it), then the
// atomic write, then the unlock.
func writeLocked(path string, data []byte) error {
	lf, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o600)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	werr := writeFileAtomic(path, data, 0o644)
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_UN); err != nil && werr == nil {
		return fmt.Errorf("unlock error %s", err)
	}
	return werr
}

// checkOrCreateWritableDirectory is client-native misc/fs.go
// CheckOrCreateWritableDirectory: create the directory 0750, or prove an
// existing one writable with a temporary file.
func checkOrCreateWritableDirectory(dirname string) (string, error) {
	if dirname == "" {
		return dirname, errors.New("no storage dir or empty dirname specified")
	}
	dirname = filepath.Clean(dirname)
	info, err := os.Stat(dirname)
	if err != nil {
		if os.IsNotExist(err) {
			if err := os.MkdirAll(dirname, 0o750); err != nil {
				return "", fmt.Errorf("missing directory, unable to create: %w", err)
			}
			return dirname, nil
		}
		return "", fmt.Errorf("accessing directory: %w", err)
	}
	if !info.IsDir() {
		return "", fmt.Errorf("specified storage directory %s already exists and is a file, refusing to overwrite", dirname)
	}
	f, err := os.CreateTemp(dirname, ".dataplaneapi")
	if err != nil {
		return "", fmt.Errorf("error using storage directory: %w", err)
	}
	f.Close()
	os.Remove(f.Name())
	return dirname, nil
}
