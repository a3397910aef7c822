//go:build cgo

package sharedpool

import (
	"strconv"
	"time"
)

// Option is one pool option for Open or Connector. The option names are the library's
// (max_size, min_idle, acquire_timeout_ms, pool_name, on_conflict, init_sql, …); an
// unknown name or an unparsable value makes Open fail with CodeInvalidOption.
type Option func(*options)

type options struct {
	kv [][2]string
}

// WithOption sets the option key to value, as a DSN query parameter would.
func WithOption(key, value string) Option {
	return func(o *options) { o.kv = append(o.kv, [2]string{key, value}) }
}

// WithMaxSize sets max_size: most connections open at once (default 10).
func WithMaxSize(n int) Option { return WithOption("max_size", strconv.Itoa(n)) }

// WithMinIdle sets min_idle: idle connections kept ready (default 0).
func WithMinIdle(n int) Option { return WithOption("min_idle", strconv.Itoa(n)) }

// WithAcquireTimeout sets acquire_timeout_ms: how long an acquire waits when its context has
// no earlier deadline (default 30 s).
func WithAcquireTimeout(d time.Duration) Option {
	return WithOption("acquire_timeout_ms", strconv.FormatInt(d.Milliseconds(), 10))
}

// ms is d in whole milliseconds, rounded up (a positive duration never becomes 0, which
// means "never" for some options).
func ms(d time.Duration) string {
	if d <= 0 {
		return strconv.FormatInt(d.Milliseconds(), 10)
	}
	return strconv.FormatInt(int64((d+time.Millisecond-1)/time.Millisecond), 10)
}

// WithIdleTimeout sets idle_timeout_ms: idle connections above min_idle close after d; 0 = never.
func WithIdleTimeout(d time.Duration) Option { return WithOption("idle_timeout_ms", ms(d)) }

// WithMaxLifetime sets max_lifetime_ms: connections are recycled after d (with jitter); 0 = never.
func WithMaxLifetime(d time.Duration) Option { return WithOption("max_lifetime_ms", ms(d)) }

// WithMaxUses sets max_uses: a connection is recycled after n borrows; 0 = unlimited.
func WithMaxUses(n uint64) Option { return WithOption("max_uses", strconv.FormatUint(n, 10)) }

// WithMaxConnecting sets max_connecting: most connects in flight at once (storm protection).
func WithMaxConnecting(n int) Option { return WithOption("max_connecting", strconv.Itoa(n)) }

// WithValidationIdle sets validation_idle_ms: a connection idle longer than d is pinged before
// it is handed out.
func WithValidationIdle(d time.Duration) Option { return WithOption("validation_idle_ms", ms(d)) }

// WithAdaptive sets adaptive: keep the measured demand ceil(λ·W·headroom) warm ahead of load.
func WithAdaptive(on bool) Option { return WithOption("adaptive", strconv.FormatBool(on)) }

// WithHeadroom sets headroom: the multiplier on measured demand for the recommended size.
func WithHeadroom(h float64) Option {
	return WithOption("headroom", strconv.FormatFloat(h, 'g', -1, 64))
}

// WithLeakDetection sets leak_detection_ms: warn (once per borrow) when a connection is held
// longer than d; 0 = off.
func WithLeakDetection(d time.Duration) Option { return WithOption("leak_detection_ms", ms(d)) }

// WithLinger sets linger_ms: a pool whose last reference went stays warm this long for a new Open.
func WithLinger(d time.Duration) Option { return WithOption("linger_ms", ms(d)) }

// WithInitSQL sets init_sql: a statement run on every new connection and after every reset.
func WithInitSQL(sql string) Option { return WithOption("init_sql", sql) }

// WithConnectTimeout sets connect_timeout_ms (the client library rounds it up to whole seconds).
func WithConnectTimeout(d time.Duration) Option { return WithOption("connect_timeout_ms", ms(d)) }

// WithReadTimeout sets read_timeout_ms (rounded up to whole seconds by the client library).
func WithReadTimeout(d time.Duration) Option { return WithOption("read_timeout_ms", ms(d)) }

// WithWriteTimeout sets write_timeout_ms (rounded up to whole seconds by the client library).
func WithWriteTimeout(d time.Duration) Option { return WithOption("write_timeout_ms", ms(d)) }

// WithServerHeadroom sets server_headroom: server connection slots left free for others; the
// pool does not grow above min_idle when a new connection would leave fewer (0 = off).
func WithServerHeadroom(n int) Option { return WithOption("server_headroom", strconv.Itoa(n)) }

// WithStatementTimeout sets statement_timeout_ms: a statement still running after d is stopped
// on the server (KILL QUERY) and fails with ErrTimeout; its connection is discarded.
func WithStatementTimeout(d time.Duration) Option {
	return WithOption("statement_timeout_ms", ms(d))
}

// WithCharset sets charset: the connection character set (default utf8mb4).
func WithCharset(name string) Option { return WithOption("charset", name) }

// WithTLS sets tls: "disabled", "preferred", "required" ("skip-verify"), "verify-ca" or
// "verify-identity" ("true"); and the certificate files when not empty.
func WithTLS(mode, ca, cert, key string) Option {
	return func(o *options) {
		WithOption("tls", mode)(o)
		for k, v := range map[string]string{"tls_ca": ca, "tls_cert": cert, "tls_key": key} {
			if v != "" {
				WithOption(k, v)(o)
			}
		}
	}
}

// WithClientFoundRows sets client_found_rows: an UPDATE's affected rows are the rows matched.
func WithClientFoundRows(on bool) Option {
	return WithOption("client_found_rows", strconv.FormatBool(on))
}

// WithMaxAllowedPacket sets max_allowed_packet: the largest packet the client takes, in bytes.
func WithMaxAllowedPacket(n int) Option { return WithOption("max_allowed_packet", strconv.Itoa(n)) }

// WithRejectReadOnly sets reject_read_only: close a connection that got a read-only error, so the
// pool reconnects (to the new primary after a failover).
func WithRejectReadOnly(on bool) Option {
	return WithOption("reject_read_only", strconv.FormatBool(on))
}

// WithSessionVariable sets a session variable (time_zone, sql_mode, …; the library lists the
// names it accepts) on every connection and after every reset; value is SQL: quote strings
// ("'UTC'").
func WithSessionVariable(name, value string) Option { return WithOption(name, value) }

// WithPoolName sets pool_name: callers with different names get separate pools for one target.
func WithPoolName(name string) Option { return WithOption("pool_name", name) }

// WithReuseOnConflict sets on_conflict=reuse: when the pool is already open with other sizing
// options, take it as it is instead of failing with ErrConfigConflict.
func WithReuseOnConflict() Option { return WithOption("on_conflict", "reuse") }

func collect(opts []Option) options {
	var o options
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}
