// Package registryauth finds registry credentials as the docker CLI does:
// config.json's auths, its credsStore and credHelpers (docker-credential-*
// programs), read from a config directory the caller names. It reads no
// environment: the command line finds the directory ($DOCKER_CONFIG, else
// ~/.docker) and passes it down.
package registryauth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distribution/reference"
	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/docker/docker/api/types/registry"
)

// DockerHubKey is the key Docker Hub's credentials have in config.json.
const DockerHubKey = "https://index.docker.io/v1/"

// tokenUsername marks a helper's secret as an identity token.
const tokenUsername = "<token>"

// Config is one Docker config directory's credentials. A nil *Config has
// none: every lookup is anonymous.
type Config struct {
	path string // config.json, for messages
	file configFile
	// Program runs the credential helper docker-credential-<helper>; nil
	// looks the program up on PATH. Tests point it at a script.
	Program func(helper string) client.ProgramFunc
}

// configFile is the part of config.json that holds credentials.
type configFile struct {
	Auths       map[string]authEntry `json:"auths"`
	CredsStore  string               `json:"credsStore"`
	CredHelpers map[string]string    `json:"credHelpers"`
}

type authEntry struct {
	Auth          string `json:"auth"` // base64 of user:password
	Username      string `json:"username"`
	Password      string `json:"password"`
	IdentityToken string `json:"identitytoken"`
	RegistryToken string `json:"registrytoken"`
}

// Load reads dir/config.json. No directory ("") or no file means no
// credentials, as for the docker CLI; a file that is not JSON is an error.
func Load(dir string) (*Config, error) {
	if dir == "" {
		return nil, nil
	}
	path := filepath.Join(dir, "config.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{path: path}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry credentials: %w", err)
	}
	c := &Config{path: path}
	if err := json.Unmarshal(data, &c.file); err != nil {
		return nil, fmt.Errorf("registry credentials: %s: %v; fix the file or point DOCKER_CONFIG elsewhere", path, err)
	}
	for key, e := range c.file.Auths {
		if e.Auth == "" {
			continue
		}
		if _, _, err := decodeAuth(e.Auth); err != nil {
			return nil, fmt.Errorf("registry credentials: %s: auths.%s.auth: %v; log in again with `docker login %s`", path, key, err, key)
		}
	}
	return c, nil
}

// Key is the config.json key of the registry an image reference names:
// its host[:port], or DockerHubKey for Docker Hub.
func Key(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("image %s: %w", ref, err)
	}
	return keyOfHost(reference.Domain(named)), nil
}

func keyOfHost(host string) string {
	switch host {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return DockerHubKey
	}
	return host
}

// ForImage is the credentials for the registry of image ref; empty when
// the config has none for it.
func (c *Config) ForImage(ref string) (registry.AuthConfig, error) {
	key, err := Key(ref)
	if err != nil {
		return registry.AuthConfig{}, err
	}
	return c.ForKey(key)
}

// ForKey is the credentials stored under key (host[:port] or
// DockerHubKey): the registry's credential helper, else credsStore, else
// auths, as the docker CLI looks them up.
func (c *Config) ForKey(key string) (registry.AuthConfig, error) {
	if c == nil {
		return registry.AuthConfig{}, nil
	}
	file := c.fromFile(key)
	helper := c.helperFor(key)
	if helper == "" {
		return file, nil
	}
	got, err := c.fromHelper(helper, key)
	if err != nil {
		return registry.AuthConfig{}, err
	}
	if got == nil { // the helper has none: what auths says, as the CLI does
		return file, nil
	}
	return *got, nil
}

// Header is X-Registry-Auth for image ref: the credentials as base64 JSON;
// empty credentials still make a valid header.
func (c *Config) Header(ref string) (string, error) {
	a, err := c.ForImage(ref)
	if err != nil {
		return "", err
	}
	return registry.EncodeAuthConfig(a)
}

// All is every credential the config knows, by key: for builds, whose
// FROM lines may name any registry. A helper that fails leaves its
// credentials out; the error says which, and the rest is still returned.
func (c *Config) All() (map[string]registry.AuthConfig, error) {
	out := map[string]registry.AuthConfig{}
	if c == nil {
		return out, nil
	}
	for key := range c.file.Auths {
		out[key] = c.fromFile(key)
	}
	var keys []string
	var errs []error
	if c.file.CredsStore != "" {
		stored, err := client.List(c.program(c.file.CredsStore))
		if err != nil {
			errs = append(errs, c.helperErr(c.file.CredsStore, "credsStore", "", err))
		}
		for key := range stored {
			keys = append(keys, key)
		}
	}
	for key := range c.file.CredHelpers {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		a, err := c.ForKey(key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out[key] = a
	}
	return out, errors.Join(errs...)
}

// fromFile is the auths entry for key, matched exactly or by host (an
// entry may be a URL such as https://host/v1/).
func (c *Config) fromFile(key string) registry.AuthConfig {
	e, ok := c.file.Auths[key]
	if !ok {
		for k, v := range c.file.Auths {
			if hostOf(k) == key || keyOfHost(hostOf(k)) == key {
				e, ok = v, true
				break
			}
		}
	}
	if !ok {
		return registry.AuthConfig{}
	}
	a := registry.AuthConfig{Username: e.Username, Password: e.Password, IdentityToken: e.IdentityToken,
		RegistryToken: e.RegistryToken, ServerAddress: key}
	if u, p, err := decodeAuth(e.Auth); e.Auth != "" && err == nil { // checked by Load
		a.Username, a.Password = u, p
	}
	return a
}

func (c *Config) helperFor(key string) string {
	if h, ok := c.file.CredHelpers[key]; ok {
		return h
	}
	return c.file.CredsStore
}

func (c *Config) program(helper string) client.ProgramFunc {
	if c.Program != nil {
		return c.Program(helper)
	}
	return client.NewShellProgramFunc("docker-credential-" + helper)
}

// fromHelper asks docker-credential-<helper> for key; nil when it has none.
func (c *Config) fromHelper(helper, key string) (*registry.AuthConfig, error) {
	creds, err := client.Get(c.program(helper), key)
	if credentials.IsErrCredentialsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		where := "credsStore"
		if _, ok := c.file.CredHelpers[key]; ok {
			where = "credHelpers"
		}
		return nil, c.helperErr(helper, where, key, err)
	}
	a := registry.AuthConfig{ServerAddress: key}
	if creds.Username == tokenUsername {
		a.IdentityToken = creds.Secret
	} else {
		a.Username, a.Password = creds.Username, creds.Secret
	}
	return &a, nil
}

func (c *Config) helperErr(helper, where, key string, err error) error {
	what := "registry credentials"
	if key != "" {
		what = "registry " + key
	}
	return fmt.Errorf("%s: credential helper docker-credential-%s (%s in %s): %v; install the helper or remove it from the file",
		what, helper, where, c.path, strings.TrimSpace(err.Error()))
}

// hostOf turns an auths key that is a URL into host[:port].
func hostOf(key string) string {
	if !strings.Contains(key, "://") {
		host, _, _ := strings.Cut(key, "/")
		return host
	}
	u, err := url.Parse(key)
	if err != nil || u.Hostname() == "" {
		return key
	}
	if u.Port() == "" {
		return u.Hostname()
	}
	return net.JoinHostPort(u.Hostname(), u.Port())
}

func decodeAuth(s string) (string, string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", "", err
	}
	user, pass, ok := strings.Cut(string(b), ":")
	if !ok || user == "" {
		return "", "", errors.New("auth is not base64 of user:password")
	}
	return user, strings.Trim(pass, "\x00"), nil
}
