package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trama-dev/trama/okta"
	"github.com/trama-dev/trama/okta/eventhook"
)

// stateVersion is the format of the --state file; a file of another version is refused rather than
// half-read.
const stateVersion = 1

// stateFile is the JSON document behind Options.StatePath.
type stateFile struct {
	Version     int             `json:"version"`
	ClockOffset time.Duration   `json:"clockOffset"`
	AdminID     string          `json:"adminId"`
	Users       []*user         `json:"users"`
	Outbox      []message       `json:"outbox"`
	PushTx      []*pushTxn      `json:"pushTransactions"`
	Events      []okta.LogEvent `json:"events"`
	Hooks       json.RawMessage `json:"eventHooks,omitempty"`
	// Apps holds every app integration with its keys, grants and assignments.
	Apps []*application `json:"apps,omitempty"`
	// ServiceApps is where files written before other app kinds existed kept their OAuth 2.0 service
	// apps; it is read, never written.
	ServiceApps []*application `json:"serviceApps,omitempty"`
	// Groups holds every group, Everyone included, with members and role assignments.
	Groups []*group `json:"groups,omitempty"`
	// GroupRules holds every group rule with the memberships it manages.
	GroupRules []*groupRule `json:"groupRules,omitempty"`
	// Policies holds every policy with its rules; a file without it gets the default policies.
	Policies []*policy `json:"policies,omitempty"`
	// Sessions, SessionTokens and AuthnTxns are the users' sessions, the session tokens not yet redeemed
	// and the sign-ins waiting for a factor; tokens are kept as SHA-256 hashes only.
	Sessions      []*session      `json:"sessions,omitempty"`
	SessionTokens []*sessionToken `json:"sessionTokens,omitempty"`
	AuthnTxns     []*authnTxn     `json:"authnTransactions,omitempty"`
	// Authenticators holds the org's authenticators with their methods; a file without them gets a
	// new org's.
	Authenticators []*authenticator `json:"authenticators,omitempty"`
	// OrgKey is the org authorization server's private signing key (a JWK), kept so access tokens
	// survive a restart. It is the emulator's own key; clients' private keys are never held.
	OrgKey json.RawMessage `json:"orgSigningKey,omitempty"`
}

// resetState seeds the admin (a super admin, as the owner of an API token is), the seed users, the
// Everyone group, a new Identity Engine org's authenticators and default policies, the seed service
// apps, groups and apps, and empties everything else (group rules included). The org's signing key
// stays, as a real org's would.
func (e *Emulator) resetState() error {
	now := e.clock.Now()
	e.mu.Lock()
	e.users = map[string]*user{}
	e.byLogin = map[string]*user{}
	e.order = nil
	e.outbox = nil
	e.pushTx = map[string]*pushTxn{}
	admin := newSeededUser(e.opts.Admin, now)
	admin.Roles = []*roleAssignment{{ID: newUserRoleID(), Type: "SUPER_ADMIN", Created: now, LastUpdated: now}}
	e.adminID = admin.ID
	e.addUser(admin)
	for _, s := range e.opts.Users {
		if _, dup := e.byLogin[strings.ToLower(s.Login)]; dup {
			continue
		}
		e.addUser(newSeededUser(s, now))
	}
	e.groups = map[string]*group{}
	e.groupOrder = nil
	e.addGroup(newEveryoneGroup(e.everyoneID(), now))
	e.rules = map[string]*groupRule{}
	e.ruleOrder = nil
	e.seedPolicies(now)
	e.sessions = map[string]*session{}
	e.sessionTokens = map[string]*sessionToken{}
	e.authnTxns = map[string]*authnTxn{}
	e.seedAuthenticators(now)
	e.apps = map[string]*application{}
	e.appOrder = nil
	for _, s := range e.opts.ServiceApps {
		e.addApp(newSeededApp(s, now, e.adminID))
	}
	e.mu.Unlock()
	e.assertionJTIs.reset()
	e.proofJTIs.reset()
	e.clock.setOffset(0)
	e.hooks.Restore(nil)
	err := e.seedThroughAPI()
	// A seeded org starts with an empty System Log, as a reset one does.
	e.log.Reset()
	e.hooks.ResetDeliveries()
	return err
}

// snapshot encodes the whole org.
func (e *Emulator) snapshot() ([]byte, error) {
	hooks, err := json.Marshal(e.hooks.Snapshot())
	if err != nil {
		return nil, fmt.Errorf("encode event hooks: %w", err)
	}
	var orgKey []byte
	if k := e.existingKey(); k != nil {
		if orgKey, err = k.jwk.MarshalJSON(); err != nil {
			return nil, fmt.Errorf("encode org signing key: %w", err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	st := stateFile{Version: stateVersion, ClockOffset: e.clock.Offset(), AdminID: e.adminID, Users: e.order,
		Outbox: e.outbox, Events: e.log.Events(), Hooks: hooks, Apps: e.appOrder, OrgKey: orgKey,
		Groups: e.groupOrder, GroupRules: e.ruleOrder, Authenticators: e.authOrder}
	for _, t := range e.pushTx {
		st.PushTx = append(st.PushTx, t)
	}
	st.Policies = e.policyOrder
	st.Sessions = slices.SortedFunc(maps.Values(e.sessions), func(a, b *session) int { return a.Created.Compare(b.Created) })
	st.SessionTokens = slices.SortedFunc(maps.Values(e.sessionTokens), func(a, b *sessionToken) int {
		return a.ExpiresAt.Compare(b.ExpiresAt)
	})
	st.AuthnTxns = slices.SortedFunc(maps.Values(e.authnTxns), func(a, b *authnTxn) int { return a.ExpiresAt.Compare(b.ExpiresAt) })
	return json.MarshalIndent(st, "", " ")
}

// loadState reads path if it exists. A missing file is a fresh org; a corrupt one is an error, because
// silently starting empty would lose the user's org on the next save.
func (e *Emulator) loadState(path string) error {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read state %s: %w", path, err)
	}
	var st stateFile
	if err := json.Unmarshal(data, &st); err != nil {
		return fmt.Errorf("decode state %s: %w", path, err)
	}
	if st.Version != stateVersion {
		return fmt.Errorf("state %s has version %d, want %d", path, st.Version, stateVersion)
	}
	e.mu.Lock()
	e.users = map[string]*user{}
	e.byLogin = map[string]*user{}
	e.order = nil
	for _, u := range st.Users {
		if u == nil || u.ID == "" {
			continue
		}
		if u.Profile == nil {
			u.Profile = map[string]any{}
		}
		e.addUser(u)
	}
	if _, ok := e.users[st.AdminID]; ok {
		e.adminID = st.AdminID
	} else {
		// The file predates this admin (or lost it): keep the freshly seeded one.
		admin := newSeededUser(e.opts.Admin, e.clock.Now())
		if existing, ok := e.byLogin[strings.ToLower(admin.login())]; ok {
			admin = existing
		} else {
			e.addUser(admin)
		}
		e.adminID = admin.ID
	}
	e.outbox = st.Outbox
	e.pushTx = map[string]*pushTxn{}
	for _, t := range st.PushTx {
		if t != nil {
			e.pushTx[t.ID] = t
		}
	}
	e.restoreGroups(st.Groups)
	e.restoreRules(st.GroupRules)
	e.restorePolicies(st.Policies)
	e.restoreSessions(st)
	e.restoreAuthenticators(st.Authenticators, e.clock.Now())
	saved := st.Apps
	if saved == nil {
		saved = st.ServiceApps
	}
	if err := e.restoreApps(saved); err != nil {
		e.mu.Unlock()
		return fmt.Errorf("state %s: %w", path, err)
	}
	e.mu.Unlock()
	if len(st.OrgKey) > 0 {
		k, err := decodeOrgKey(st.OrgKey)
		if err != nil {
			return fmt.Errorf("state %s: %w", path, err)
		}
		e.oauthMu.Lock()
		e.orgKey = k
		e.oauthMu.Unlock()
	}
	e.clock.setOffset(st.ClockOffset)
	e.log.Restore(st.Events)
	if len(st.Hooks) > 0 && string(st.Hooks) != "null" {
		var snap []eventhook.Hook
		if err := json.Unmarshal(st.Hooks, &snap); err != nil {
			return fmt.Errorf("decode event hooks in state %s: %w", path, err)
		}
		e.hooks.Restore(snap)
	}
	return nil
}

// restoreGroups replaces the org's groups with those of a state file, dropping members that are not
// users of the file, and adds the Everyone group when the file predates groups. e.mu must be held.
func (e *Emulator) restoreGroups(saved []*group) {
	e.groups = map[string]*group{}
	e.groupOrder = nil
	now := e.clock.Now()
	haveEveryone := false
	for _, g := range saved {
		if g == nil || g.ID == "" || e.groups[g.ID] != nil {
			continue
		}
		switch g.Type {
		case groupBuiltIn:
			if haveEveryone {
				continue // an org has one built-in group
			}
			haveEveryone = true
			e.everyone = g.ID
			g.Members = nil
		case groupOkta, groupApp:
		default:
			g.Type = groupOkta
		}
		if g.Profile == nil {
			g.Profile = map[string]any{}
		}
		if g.Created.IsZero() {
			g.Created = now
		}
		if g.LastUpdated.IsZero() {
			g.LastUpdated = g.Created
		}
		if g.LastMembershipUpdated.IsZero() {
			g.LastMembershipUpdated = g.Created
		}
		g.Members = slices.DeleteFunc(g.Members, func(id string) bool { return e.users[id] == nil })
		e.addGroup(g)
	}
	if !haveEveryone {
		g := newEveryoneGroup(e.everyone, now)
		if e.groups[g.ID] != nil {
			g.ID = newID("00g")
			e.everyone = g.ID
		}
		e.groups[g.ID] = g
		e.groupOrder = append([]*group{g}, e.groupOrder...)
	}
}

// restoreApps replaces the org's apps with those of a state file, then adds the seed apps the file does
// not have. A seed whose client id was generated is recognised by its label among the file's seeded
// apps and takes that app's client id, so a restart keeps the ids clients were configured with.
// e.mu must be held.
func (e *Emulator) restoreApps(saved []*application) error {
	e.apps = map[string]*application{}
	e.appOrder = nil
	for _, a := range saved {
		if a == nil || a.ID == "" || e.apps[a.ID] != nil {
			continue
		}
		a.upgrade()
		if a.SignOnMode == modeOIDC && a.ClientID == "" {
			a.ClientID = a.ID
		}
		if err := a.index(); err != nil {
			return err
		}
		// Assignments of users and groups the file no longer has are dropped.
		a.Users = slices.DeleteFunc(a.Users, func(au *appUser) bool { return au == nil || e.users[au.UserID] == nil })
		a.Groups = slices.DeleteFunc(a.Groups, func(ag *appGroup) bool { return ag == nil || e.groups[ag.GroupID] == nil })
		e.addApp(a)
	}
	now := e.clock.Now()
	for i, s := range e.opts.ServiceApps {
		if e.lookupApp(s.ClientID) != nil {
			continue
		}
		if s.generatedID {
			if a := e.seededAppLabelled(s.Label); a != nil {
				e.opts.ServiceApps[i].ClientID = a.ClientID
				continue
			}
		}
		e.addApp(newSeededApp(s, now, e.adminID))
	}
	return nil
}

func (e *Emulator) seededAppLabelled(label string) *application {
	for _, a := range e.appOrder {
		if a.Seeded && a.Label == label {
			return a
		}
	}
	return nil
}

// writeFileAtomic replaces path with data so a crash leaves either the old or the new file, never half
// of one: write a temporary file beside it, sync, rename.
func writeFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("save state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("save state %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save state %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save state %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save state %s: %w", path, err)
	}
	return nil
}

// saver writes the state file shortly after changes. Changes are coalesced (at most one write per
// saveDelay) so a burst of requests costs one write, not one per request.
type saver struct {
	e       *Emulator
	path    string
	kick    chan struct{}
	done    chan struct{}
	stopped sync.WaitGroup
	once    sync.Once
}

const saveDelay = 200 * time.Millisecond

func newSaver(e *Emulator, path string) *saver {
	s := &saver{e: e, path: path, kick: make(chan struct{}, 1), done: make(chan struct{})}
	s.stopped.Add(1)
	go s.loop()
	return s
}

func (s *saver) loop() {
	defer s.stopped.Done()
	for {
		select {
		case <-s.done:
			return
		case <-s.kick:
		}
		select {
		case <-s.done:
			return
		case <-time.After(saveDelay):
		}
		if err := s.save(); err != nil {
			s.e.logger.Error("save emulator state", "path", s.path, "err", err)
		}
	}
}

func (s *saver) save() error {
	data, err := s.e.snapshot()
	if err != nil {
		return err
	}
	return writeFileAtomic(s.path, data)
}

// close stops the loop and writes a final time.
func (s *saver) close() error {
	var err error
	s.once.Do(func() {
		close(s.done)
		s.stopped.Wait()
		err = s.save()
	})
	return err
}

// changed schedules a save when a state file is configured.
func (e *Emulator) changed() {
	if e.saver == nil {
		return
	}
	select {
	case e.saver.kick <- struct{}{}:
	default:
	}
}

// restorePolicies replaces the org's policies with those of a state file, keeping only the types the
// emulator implements and adding the default policy of any type the file has none of (a file written
// before policies existed gets them all). e.mu must be held.
func (e *Emulator) restorePolicies(saved []*policy) {
	e.policies = map[string]*policy{}
	e.policyOrder = nil
	for _, p := range saved {
		if p == nil || p.ID == "" || e.policies[p.ID] != nil {
			continue
		}
		if _, ok := policyKinds[p.Type]; !ok {
			continue
		}
		if p.Status != policyInactive {
			p.Status = policyActive
		}
		p.Rules = slices.DeleteFunc(p.Rules, func(r *policyRule) bool { return r == nil || r.ID == "" })
		slices.SortStableFunc(p.Rules, func(a, b *policyRule) int { return a.Priority - b.Priority })
		renumberRules(p)
		e.addPolicy(p)
	}
	for _, d := range e.defaultPolicies(e.clock.Now()) {
		if !slices.ContainsFunc(e.policyOrder, func(p *policy) bool { return p.Type == d.Type && p.System }) &&
			e.policies[d.ID] == nil {
			e.addPolicy(d)
		}
	}
	for _, typ := range policyTypeOrder {
		e.renumberPolicies(typ)
	}
}

// restoreSessions takes the sessions, session tokens and transactions of a state file whose users
// still exist. e.mu must be held.
func (e *Emulator) restoreSessions(st stateFile) {
	e.sessions = map[string]*session{}
	e.sessionTokens = map[string]*sessionToken{}
	e.authnTxns = map[string]*authnTxn{}
	for _, s := range st.Sessions {
		if s != nil && s.ID != "" && e.users[s.UserID] != nil {
			e.sessions[s.ID] = s
		}
	}
	for _, t := range st.SessionTokens {
		if t != nil && t.Hash != "" && e.users[t.UserID] != nil {
			e.sessionTokens[t.Hash] = t
		}
	}
	for _, t := range st.AuthnTxns {
		if t != nil && t.Hash != "" && e.users[t.UserID] != nil {
			e.authnTxns[t.Hash] = t
		}
	}
}
