package vault

import (
	"errors"
	"fmt"
	"sync"
	"time"

	gokeyring "github.com/zalando/go-keyring"
)

// KeyringService is the service name under which Ward stores vault keys.
const KeyringService = "io.github.wardauth.ward"

// Keyring errors. The vault turns both into ErrLocked: the passphrase is then needed.
var (
	ErrKeyringUnavailable = errors.New("no keyring available")
	ErrKeyNotInKeyring    = errors.New("the keyring does not hold this vault's key")
)

// Keyring stores one secret string per vault ID. Implementations return errors
// wrapping ErrKeyringUnavailable or ErrKeyNotInKeyring.
type Keyring interface {
	Get(vaultID string) (string, error)
	Set(vaultID, secret string) error
	Delete(vaultID string) error
}

// SystemKeyring is the operating system's keyring (the Secret Service on Linux,
// Keychain on macOS, Credential Manager on Windows). Every call is bounded by
// Timeout, so a keyring that never answers (a locked collection waiting on a prompt
// no one sees, a D-Bus without a Secret Service) reads as unavailable, not a hang.
type SystemKeyring struct {
	Timeout time.Duration
}

// DefaultKeyringTimeout bounds one keyring call.
const DefaultKeyringTimeout = 5 * time.Second

func (k SystemKeyring) call(op string, f func() (string, error)) (string, error) {
	timeout := k.Timeout
	if timeout == 0 {
		timeout = DefaultKeyringTimeout
	}
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1) // buffered: a late answer must not block the goroutine forever
	go func() {
		s, err := f()
		ch <- result{s, err}
	}()
	select {
	case r := <-ch:
		switch {
		case r.err == nil:
			return r.s, nil
		case errors.Is(r.err, gokeyring.ErrNotFound):
			return "", ErrKeyNotInKeyring
		default:
			// The keyring's own error text names no secret; keep it for the user.
			return "", fmt.Errorf("%w: %s failed: %v", ErrKeyringUnavailable, op, r.err)
		}
	case <-time.After(timeout):
		return "", fmt.Errorf("%w: %s got no answer in %s", ErrKeyringUnavailable, op, timeout)
	}
}

func (k SystemKeyring) Get(id string) (string, error) {
	return k.call("reading the key", func() (string, error) { return gokeyring.Get(KeyringService, id) })
}

func (k SystemKeyring) Set(id, secret string) error {
	_, err := k.call("storing the key", func() (string, error) {
		return "", gokeyring.Set(KeyringService, id, secret)
	})
	return err
}

func (k SystemKeyring) Delete(id string) error {
	_, err := k.call("deleting the key", func() (string, error) {
		return "", gokeyring.Delete(KeyringService, id)
	})
	if errors.Is(err, ErrKeyNotInKeyring) {
		return nil
	}
	return err
}

// NoKeyring is used when the user turned the keyring off: every read says
// unavailable, so the vault asks for the passphrase; writes do nothing.
type NoKeyring struct{}

func (NoKeyring) Get(string) (string, error) {
	return "", fmt.Errorf("%w: the keyring is turned off", ErrKeyringUnavailable)
}
func (NoKeyring) Set(string, string) error { return nil }
func (NoKeyring) Delete(string) error      { return nil }

// MemoryKeyring is an in-memory keyring for tests. The zero value is ready to use.
type MemoryKeyring struct {
	mu sync.Mutex
	m  map[string]string
}

func (k *MemoryKeyring) Get(id string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	s, ok := k.m[id]
	if !ok {
		return "", ErrKeyNotInKeyring
	}
	return s, nil
}

func (k *MemoryKeyring) Set(id, secret string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]string{}
	}
	k.m[id] = secret
	return nil
}

func (k *MemoryKeyring) Delete(id string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, id)
	return nil
}
