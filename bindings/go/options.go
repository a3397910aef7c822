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
