// Package prometheus exposes the metrics of every sharedpool pool in the process to
// client_golang: register a Collector and scrape as usual.
//
//	prometheus.MustRegister(spprom.NewCollector())
//
// The families are those of sharedpool.MetricsText (sharedpool_connections,
// sharedpool_acquires_total, …), one series per pool with the labels pool (the readable target,
// never a password) and key. Pools come and go, so the collector describes nothing up front
// (an unchecked collector).
package prometheus

import (
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	sharedpool "github.com/sharedpool/sharedpool/bindings/go"
)

// Collector is a prometheus.Collector for every pool of the process.
type Collector struct{}

// NewCollector returns a Collector; register it once per registry.
func NewCollector() *Collector { return &Collector{} }

// Describe sends nothing: the collector is unchecked (the set of pools changes).
func (*Collector) Describe(chan<- *prometheus.Desc) {}

var parseError = prometheus.NewDesc("sharedpool_metrics_parse_error", "sharedpool's metrics text did not parse.", nil, nil)

// Collect reads the pools' metrics and sends them as constant metrics.
func (*Collector) Collect(ch chan<- prometheus.Metric) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(sharedpool.MetricsText()))
	if err != nil {
		ch <- prometheus.NewInvalidMetric(parseError, err)
		return
	}
	names := make([]string, 0, len(families))
	for name := range families {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f := families[name]
		for _, m := range f.GetMetric() {
			var keys, values []string
			for _, l := range m.GetLabel() {
				keys = append(keys, l.GetName())
				values = append(values, l.GetValue())
			}
			kind, v := prometheus.GaugeValue, m.GetGauge().GetValue()
			if f.GetType() == dto.MetricType_COUNTER {
				kind, v = prometheus.CounterValue, m.GetCounter().GetValue()
			}
			desc := prometheus.NewDesc(name, f.GetHelp(), keys, nil)
			metric, err := prometheus.NewConstMetric(desc, kind, v, values...)
			if err != nil {
				metric = prometheus.NewInvalidMetric(desc, err)
			}
			ch <- metric
		}
	}
}
