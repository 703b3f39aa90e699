// Package metrics holds trama serve's Prometheus collectors in one registry, so the receiver, the workers
// and the /metrics endpoint agree on names. Every method is safe on a nil *Metrics, which records nothing:
// packages can be used without metrics in tests and tools.
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the counters and histograms of one trama serve process.
type Metrics struct {
	reg         *prometheus.Registry
	deliveries  *prometheus.CounterVec
	events      *prometheus.CounterVec
	ackSeconds  prometheus.Histogram
	runs        *prometheus.CounterVec
	stepSeconds *prometheus.HistogramVec
	queueDepth  prometheus.GaugeFunc
	budgetWaits *prometheus.CounterVec
	budgetWait  *prometheus.CounterVec
}

// New registers trama's collectors, plus the Go runtime and process collectors, in a registry of their
// own (not the global one, so tests can create many). queueDepth is read at scrape time; nil reports 0.
func New(queueDepth func() float64) *Metrics {
	if queueDepth == nil {
		queueDepth = func() float64 { return 0 }
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trama_hook_deliveries_total",
			Help: "Event-hook requests received, by hook and result (accepted, unauthorized, malformed, too_large, error, verification).",
		}, []string{"hook", "result"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trama_events_total",
			Help: "Okta events ingested, by source (hook, poll) and whether they were new, duplicates, or quarantined (kept apart: no usable uuid, an unreadable published time).",
		}, []string{"source", "kind"}),
		ackSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "trama_hook_ack_seconds",
			Help:    "Time from receiving an event-hook request to acknowledging it (stored durably).",
			Buckets: []float64{.0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 3},
		}),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trama_runs_total",
			Help: "Workflow runs by trigger and status: created, then finished (succeeded, failed) or stopped uncertain; each run counted once, by the attempt that owned it.",
		}, []string{"trigger", "status"}),
		stepSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "trama_step_seconds",
			Help:    "Duration of workflow steps run by triggers, by workflow and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"workflow", "status"}),
	}
	m.budgetWaits = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trama_rate_limit_waits_total",
		Help: "Workflow requests held back until an API's rate-limit window reset, by endpoint (host, method, path template).",
	}, []string{"endpoint"})
	m.budgetWait = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "trama_rate_limit_wait_seconds_total",
		Help: "Time workflow requests spent waiting for rate-limit windows to reset, by endpoint.",
	}, []string{"endpoint"})
	m.queueDepth = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "trama_queue_depth",
		Help: "Jobs waiting in the queue (available, scheduled or waiting for a retry).",
	}, queueDepth)
	m.reg.MustRegister(m.deliveries, m.events, m.ackSeconds, m.runs, m.stepSeconds, m.queueDepth, m.budgetWaits, m.budgetWait,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// CountsFrom registers the collectors read from the store's totals at scrape time: events coalesced into
// another event's run, and ready runs held back because their concurrency key has no free slot.
func (m *Metrics) CountsFrom(coalesced, heldByConcurrency func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "trama_events_coalesced_total",
			Help: "Events a trigger's coalesce merged into the run of another event with the same key.",
		}, coalesced),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "trama_runs_held_by_concurrency",
			Help: "Ready runs waiting because their trigger's concurrency key has no free slot.",
		}, heldByConcurrency))
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Delivery counts one event-hook request with its result.
func (m *Metrics) Delivery(hook, result string) {
	if m != nil {
		m.deliveries.WithLabelValues(hook, result).Inc()
	}
}

// Ack records how long an accepted delivery took to acknowledge.
func (m *Metrics) Ack(d time.Duration) {
	if m != nil {
		m.ackSeconds.Observe(d.Seconds())
	}
}

// Events counts ingested events from source ("hook", "poll").
func (m *Metrics) Events(source string, newEvents, duplicates, quarantined int) {
	if m == nil {
		return
	}
	m.events.WithLabelValues(source, "new").Add(float64(newEvents))
	m.events.WithLabelValues(source, "duplicate").Add(float64(duplicates))
	if quarantined > 0 {
		m.events.WithLabelValues(source, "quarantined").Add(float64(quarantined))
	}
}

// Run counts a run of trigger reaching status ("created", "succeeded", "failed").
func (m *Metrics) Run(trigger, status string) {
	if m != nil {
		m.runs.WithLabelValues(trigger, status).Inc()
	}
}

// BudgetWait counts a request that waited d for endpoint's rate-limit window to reset.
func (m *Metrics) BudgetWait(endpoint string, d time.Duration) {
	if m != nil {
		m.budgetWaits.WithLabelValues(endpoint).Inc()
		m.budgetWait.WithLabelValues(endpoint).Add(d.Seconds())
	}
}

// Step records one step's duration.
func (m *Metrics) Step(workflow, status string, d time.Duration) {
	if m != nil {
		m.stepSeconds.WithLabelValues(workflow, status).Observe(d.Seconds())
	}
}
