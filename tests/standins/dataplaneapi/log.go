package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// A logrus-style text logger on stdout, the shape of the real API's
// log_targets `log_to: stdout, log_format: text` output:
//
//	time="2006-01-02T15:04:05Z" level=info msg="..."
var logMu sync.Mutex

func logLine(level, msg string) {
	logMu.Lock()
	defer logMu.Unlock()
	msg = strings.ReplaceAll(strings.ReplaceAll(msg, `\`, `\\`), `"`, `\"`)
	fmt.Fprintf(os.Stdout, "time=%q level=%s msg=\"%s\"\n", time.Now().Format(time.RFC3339), level, msg)
}

func logInfof(format string, a ...interface{})  { logLine("info", fmt.Sprintf(format, a...)) }
func logWarnf(format string, a ...interface{})  { logLine("warning", fmt.Sprintf(format, a...)) }
func logDebugf(format string, a ...interface{}) { logLine("debug", fmt.Sprintf(format, a...)) }

// logFatalf is logrus Fatal: log, then exit 1.
func logFatalf(format string, a ...interface{}) {
	logLine("fatal", fmt.Sprintf(format, a...))
	os.Exit(1)
}
