package sharedpool

/*
#include "sharedpool.h"

extern void spGoLog(void *ctx, int level, char *message);

static void sp_go_set_log(int on) {
	sp_set_log_callback(on ? (sp_log_fn)spGoLog : NULL, NULL);
}
*/
import "C"

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
)

var logger atomic.Pointer[slog.Logger]

// SetLogger sends the library's pool events (acquire timeouts, connect failures, suspected
// leaks, a server near capacity, closed pools) to l, with their levels (error, warn, info,
// debug) and an "event" attribute naming the kind (see EventKind); nil stops them.
// Passwords never appear in them. The callback is process-wide: it replaces one set through
// the C ABI by other code in this process (a C library, the Python module), and vice versa.
// Events arrive on the library's threads; l's handler should be quick.
func SetLogger(l *slog.Logger) {
	logger.Store(l)
	if l != nil {
		C.sp_go_set_log(1)
	} else {
		C.sp_go_set_log(0)
	}
}

func deliverLog(level int, msg string) {
	l := logger.Load()
	if l == nil {
		return
	}
	lvl := slog.LevelDebug
	switch level {
	case 1:
		lvl = slog.LevelError
	case 2:
		lvl = slog.LevelWarn
	case 3:
		lvl = slog.LevelInfo
	}
	l.Log(context.Background(), lvl, msg, "source", "sharedpool", "event", EventKind(msg))
}

// eventMarkers: what follows "pool LABEL" in each event's text, and the event's kind.
var eventMarkers = []struct{ marker, kind string }{
	{": timed out after ", "acquire_timeout"},
	{": connect failed: ", "connect_failed"},
	{": connection held by ", "leak_suspected"},
	{": server near capacity: ", "server_near_capacity"},
}

// EventKind names the kind of a pool event's text, as the "event" attribute of SetLogger's
// records: acquire_timeout, connect_failed, leak_suspected, server_near_capacity,
// pool_closed, or other.
func EventKind(msg string) string {
	if !strings.HasPrefix(msg, "pool ") {
		return "other"
	}
	at, kind := len(msg), "other"
	for _, m := range eventMarkers {
		if i := strings.Index(msg, m.marker); i >= 0 && i < at {
			at, kind = i, m.kind
		}
	}
	if strings.HasSuffix(msg, ": closed") && len(msg)-len(": closed") < at {
		kind = "pool_closed"
	}
	return kind
}
