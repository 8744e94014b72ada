package main

// The configuration watcher (dataplaneapi configuration/watcher.go): an
// inotify watch on the DIRECTORY of haproxy.cfg; an event for haproxy.cfg
// that fsnotify reports as Write (IN_MODIFY) or Create (IN_CREATE,
// IN_MOVED_TO) triggers the callback unless the file's first line is a
// `# _md5hash=` matching the rest, which is how the API's own writes are
// told apart. The watch mask is fsnotify v1.9's default one.

import (
	"os"
	"path/filepath"
	"syscall"
	"unsafe"
)

const watchMask = syscall.IN_MOVED_TO | syscall.IN_MOVED_FROM | syscall.IN_CREATE | syscall.IN_ATTRIB |
	syscall.IN_MODIFY | syscall.IN_MOVE_SELF | syscall.IN_DELETE | syscall.IN_DELETE_SELF

func startWatcher(configFile string, callback func()) error {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC)
	if err != nil {
		logInfof("Failed to initialize watcher: %s", err.Error())
		return err
	}
	if _, err := syscall.InotifyAddWatch(fd, filepath.Dir(configFile), watchMask); err != nil {
		logInfof("Failed to watch config file: %s: %s", configFile, err.Error())
		syscall.Close(fd)
		return err
	}
	base := filepath.Base(configFile)
	go func() {
		buf := make([]byte, 64*(syscall.SizeofInotifyEvent+syscall.NAME_MAX+1))
		for {
			n, err := syscall.Read(fd, buf)
			if err != nil {
				if err == syscall.EINTR {
					continue
				}
				logInfof("Closing config file watcher watcher: %s", err.Error())
				return
			}
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				ev := (*syscall.InotifyEvent)(unsafe.Pointer(&buf[off]))
				nameBytes := buf[off+syscall.SizeofInotifyEvent : off+syscall.SizeofInotifyEvent+int(ev.Len)]
				off += syscall.SizeofInotifyEvent + int(ev.Len)
				name := string(nameBytes)
				for len(name) > 0 && name[len(name)-1] == 0 {
					name = name[:len(name)-1]
				}
				if name != base {
					continue
				}
				if ev.Mask&(syscall.IN_MODIFY|syscall.IN_CREATE|syscall.IN_MOVED_TO) == 0 {
					continue
				}
				if invalidHash(configFile) {
					callback()
				}
			}
		}
	}()
	return nil
}

func invalidHash(configFile string) bool {
	content, err := os.ReadFile(configFile)
	if err != nil {
		logWarnf("Watcher: error reading config file: %s", err.Error())
		return false
	}
	return !hashIsValid(string(content))
}
