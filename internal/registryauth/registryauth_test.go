// Tests of credential lookup: auths entries, credential helpers, Docker Hub's key, and bad files.

package registryauth

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker-credential-helpers/client"
	"github.com/docker/docker/api/types/registry"
)

func writeConfig(t *testing.T, cfg string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestKey(t *testing.T) {
	for ref, want := range map[string]string{
		"alpine":                       DockerHubKey,
		"docker.io/library/alpine:3":   DockerHubKey,
		"127.0.0.1:5000/x/link:latest": "127.0.0.1:5000",
		"ghcr.io/org/img@sha256:" + strings.Repeat("a", 64): "ghcr.io",
		"localhost/img": "localhost",
	} {
		got, err := Key(ref)
		if err != nil || got != want {
			t.Errorf("Key(%q) = %q, %v; want %q", ref, got, err, want)
		}
	}
	if _, err := Key("repo/Upper"); err == nil {
		t.Error("Key of an invalid reference: no error")
	}
}

func TestAuthsEntries(t *testing.T) {
	dir := writeConfig(t, `{"auths": {
		"127.0.0.1:5000": {"auth": "`+b64("alice:s3cret:with:colons")+`"},
		"https://index.docker.io/v1/": {"auth": "`+b64("hubuser:hubpass")+`"},
		"http://reg.example:8443/v2/": {"username": "bob", "password": "pw"},
		"tok.example": {"identitytoken": "idt"}
	}}`)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]registry.AuthConfig{
		"127.0.0.1:5000/a/b:latest": {Username: "alice", Password: "s3cret:with:colons", ServerAddress: "127.0.0.1:5000"},
		"alpine:3":                  {Username: "hubuser", Password: "hubpass", ServerAddress: DockerHubKey},
		"reg.example:8443/x":        {Username: "bob", Password: "pw", ServerAddress: "reg.example:8443"},
		"tok.example/x":             {IdentityToken: "idt", ServerAddress: "tok.example"},
		"other.example/x":           {},
	}
	for ref, want := range cases {
		got, err := c.ForImage(ref)
		if err != nil || got != want {
			t.Errorf("ForImage(%q) = %+v, %v; want %+v", ref, got, err, want)
		}
	}
	h, err := c.Header("127.0.0.1:5000/a/b")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.URLEncoding.DecodeString(h)
	if err != nil {
		t.Fatalf("header %q is not base64url: %v", h, err)
	}
	var back registry.AuthConfig
	if err := json.Unmarshal(raw, &back); err != nil || back.Username != "alice" {
		t.Errorf("header decodes to %+v, %v", back, err)
	}
	all, err := c.All()
	if err != nil || len(all) != 4 || all["tok.example"].IdentityToken != "idt" {
		t.Errorf("All() = %+v, %v", all, err)
	}
}

func TestNoConfigIsAnonymous(t *testing.T) {
	for _, dir := range []string{"", t.TempDir(), filepath.Join(t.TempDir(), "absent")} {
		c, err := Load(dir)
		if err != nil {
			t.Fatalf("Load(%q): %v", dir, err)
		}
		a, err := c.ForImage("127.0.0.1:5000/x")
		if err != nil || a != (registry.AuthConfig{}) {
			t.Errorf("Load(%q): ForImage = %+v, %v; want anonymous", dir, a, err)
		}
		if h, err := c.Header("x"); err != nil || h == "" {
			t.Errorf("Load(%q): Header = %q, %v; want a header of empty credentials", dir, h, err)
		}
	}
}

func TestBadFiles(t *testing.T) {
	for name, cfg := range map[string]string{
		"not json": `{"auths": `,
		"bad auth": `{"auths": {"r.example": {"auth": "!!!"}}}`,
		"no colon": `{"auths": {"r.example": {"auth": "` + b64("nocolon") + `"}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeConfig(t, cfg)
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "config.json")) {
				t.Errorf("Load: %v; want an error naming the file", err)
			}
		})
	}
}

// fakeHelper writes a docker-credential-<name> script that knows one
// registry and returns a ProgramFunc that runs it.
func fakeHelper(t *testing.T, server, user, secret string) func(string) client.ProgramFunc {
	t.Helper()
	dir := t.TempDir()
	script := `#!/bin/sh
read -r server
case "$1" in
get)
  if [ "$server" = "` + server + `" ]; then
    printf '{"ServerURL":"%s","Username":"` + user + `","Secret":"` + secret + `"}' "$server"
    exit 0
  fi
  echo "credentials not found in native keychain"; exit 1;;
list) printf '{"` + server + `":"` + user + `"}';;
*) echo "unsupported"; exit 1;;
esac
`
	return func(helper string) client.ProgramFunc {
		path := filepath.Join(dir, "docker-credential-"+helper)
		if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		return client.NewShellProgramFunc(path)
	}
}

func TestCredentialHelpers(t *testing.T) {
	dir := writeConfig(t, `{
		"auths": {"127.0.0.1:5000": {}, "plain.example": {"auth": "`+b64("fileuser:filepass")+`"}},
		"credsStore": "store",
		"credHelpers": {"helped.example": "special"}
	}`)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Program = fakeHelper(t, "127.0.0.1:5000", "carol", "pw1")
	got, err := c.ForImage("127.0.0.1:5000/x/y")
	if err != nil || got.Username != "carol" || got.Password != "pw1" {
		t.Errorf("credsStore: %+v, %v", got, err)
	}
	// The store has nothing for plain.example: the file's entry stands.
	got, err = c.ForImage("plain.example/x")
	if err != nil || got.Username != "fileuser" {
		t.Errorf("credsStore without an entry: %+v, %v", got, err)
	}
	c.Program = fakeHelper(t, "helped.example", tokenUsername, "the-token")
	got, err = c.ForImage("helped.example/x")
	if err != nil || got.IdentityToken != "the-token" || got.Username != "" {
		t.Errorf("credHelpers with a token: %+v, %v", got, err)
	}
}

func TestMissingHelperSaysWhichAndWhere(t *testing.T) {
	dir := writeConfig(t, `{"credHelpers": {"r.example": "nonexistent-chainctl-test"}}`)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ForImage("r.example/x")
	for _, want := range []string{"docker-credential-nonexistent-chainctl-test", "credHelpers", filepath.Join(dir, "config.json"), "r.example"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

func TestAllKeepsWhatAFailingHelperDoesNotCost(t *testing.T) {
	dir := writeConfig(t, `{"auths": {"r.example": {"auth": "`+b64("u:p")+`"}}, "credsStore": "nonexistent-chainctl-test"}`)
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	all, err := c.All()
	if err == nil || !strings.Contains(err.Error(), "docker-credential-nonexistent-chainctl-test") {
		t.Errorf("All: %v; want the failing helper named", err)
	}
	if all["r.example"].Username != "u" {
		t.Errorf("All = %+v; want the file's entry still there", all)
	}
}
