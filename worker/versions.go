package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/trama-dev/trama/arazzo"
	"github.com/trama-dev/trama/runner"
)

// A run is pinned to the exact workflow it was dispatched with: the workflow document and every source
// description it read, by content. When a trigger first fires in a process, its workflow file is loaded
// and each file it read is stored under its digest, with a manifest naming them; the run records the
// manifest's digest as its Version. A run executed later — by another replica, or after a restart with a
// changed file — loads that version from the store, so a configuration change never changes or strands a
// run already accepted.

// versions caches loaded workflow versions.
type versions struct {
	mu       sync.Mutex
	byFile   map[string]*version // the version of each file this process dispatches with
	byDigest map[string]*version
}

type version struct {
	digest string
	runner *runner.Runner
}

// manifest lists the files of one workflow version.
type manifest struct {
	// Root is the location of the workflow document as it was loaded.
	Root string `json:"root"`
	// Files maps every location the bundle read to the digest of its content.
	Files map[string]string `json:"files"`
}

func digestOf(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// current returns the version of file this process dispatches with: loaded, validated and stored on
// first use.
func (w *Worker) current(ctx context.Context, file string) (*version, error) {
	w.versions.mu.Lock()
	defer w.versions.mu.Unlock()
	if v, ok := w.versions.byFile[file]; ok {
		return v, nil
	}
	// Workflow files come from trama's own configuration, so the sources they name are trusted, remote
	// ones included.
	l := &arazzo.Loader{AllowHTTP: true}
	b, err := l.Load(ctx, file)
	if err != nil {
		return nil, err
	}
	r, err := w.newRunner(b)
	if err != nil {
		return nil, err
	}
	m := manifest{Root: b.Location, Files: make(map[string]string, len(b.Files))}
	for loc, data := range b.Files {
		d := digestOf(data)
		m.Files[loc] = d
		if err := w.putOnce(ctx, d, data); err != nil {
			return nil, err
		}
	}
	raw, err := json.Marshal(m) // map keys sorted: the same files give the same digest
	if err != nil {
		return nil, err
	}
	v := &version{digest: "bundle:" + digestOf(raw), runner: r}
	if err := w.putOnce(ctx, v.digest, raw); err != nil {
		return nil, err
	}
	w.versions.remember(file, v)
	return v, nil
}

func (w *Worker) putOnce(ctx context.Context, digest string, data []byte) error {
	ok, err := w.Store.HasDocument(ctx, digest)
	if err != nil || ok {
		return err
	}
	return w.Store.PutDocument(ctx, digest, data)
}

func (vs *versions) remember(file string, v *version) {
	if vs.byFile == nil {
		vs.byFile, vs.byDigest = map[string]*version{}, map[string]*version{}
	}
	if file != "" {
		vs.byFile[file] = v
	}
	if known, ok := vs.byDigest[v.digest]; ok {
		v.runner = known.runner
		return
	}
	vs.byDigest[v.digest] = v
}

// pinned returns the runner of a stored version, loading it from the store's documents the first time.
func (w *Worker) pinned(ctx context.Context, digest string) (*runner.Runner, error) {
	w.versions.mu.Lock()
	defer w.versions.mu.Unlock()
	if v, ok := w.versions.byDigest[digest]; ok {
		return v.runner, nil
	}
	raw, err := w.Store.GetDocument(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("workflow version %s: %w", digest, err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("workflow version %s: manifest: %w", digest, err)
	}
	l := &arazzo.Loader{AllowHTTP: true, Read: func(ctx context.Context, loc string) ([]byte, error) {
		d, ok := m.Files[loc]
		if !ok {
			return nil, fmt.Errorf("%s is not part of workflow version %s", loc, digest)
		}
		return w.Store.GetDocument(ctx, d)
	}}
	b, err := l.Load(ctx, m.Root)
	if err != nil {
		return nil, fmt.Errorf("workflow version %s: %w", digest, err)
	}
	r, err := w.newRunner(b)
	if err != nil {
		return nil, fmt.Errorf("workflow version %s: %w", digest, err)
	}
	v := &version{digest: digest, runner: r}
	w.versions.remember("", v)
	return v.runner, nil
}

// newRunner validates a loaded bundle and returns its runner.
func (w *Worker) newRunner(b *arazzo.Bundle) (*runner.Runner, error) {
	for _, d := range b.Validate(arazzo.ValidateOptions{}) {
		if d.Severity == arazzo.Error {
			return nil, fmt.Errorf("workflow file has errors: %s", d)
		}
	}
	opts := w.RunnerOptions
	opts.HTTPClient = w.HTTPClient
	if opts.UserAgent == "" {
		opts.UserAgent = "trama"
	}
	return runner.New(b, opts), nil
}

// Documents reads what the store keeps of workflow versions; *store.Store implements it.
type Documents interface {
	GetDocument(ctx context.Context, digest string) ([]byte, error)
}

// PinnedDocument returns the workflow document of a stored version (a run's Version) as it was when the
// run was dispatched, parsed but not loaded: what a history view needs to draw the workflow a run
// executed, without its sources.
func PinnedDocument(ctx context.Context, st Documents, digest string) (*arazzo.Document, error) {
	raw, err := st.GetDocument(ctx, digest)
	if err != nil {
		return nil, fmt.Errorf("workflow version %s: %w", digest, err)
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("workflow version %s: manifest: %w", digest, err)
	}
	d, ok := m.Files[m.Root]
	if !ok {
		return nil, fmt.Errorf("workflow version %s: the manifest does not list its document %s", digest, m.Root)
	}
	data, err := st.GetDocument(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("workflow version %s: %w", digest, err)
	}
	doc, _, err := arazzo.Parse(data, m.Root)
	if err != nil {
		return nil, fmt.Errorf("workflow version %s: %w", digest, err)
	}
	return doc, nil
}
