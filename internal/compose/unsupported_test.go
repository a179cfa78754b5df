// Tests that no compose-go field can be dropped silently: each one set alone is mapped, refused or noted; and of sniffing.

package compose

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
)

// kinds are the compose-go structs each handled list is about.
var kinds = map[string]reflect.Type{
	"service":        reflect.TypeFor[types.ServiceConfig](),
	"build":          reflect.TypeFor[types.BuildConfig](),
	"port":           reflect.TypeFor[types.ServicePortConfig](),
	"volume":         reflect.TypeFor[types.ServiceVolumeConfig](),
	"volume.bind":    reflect.TypeFor[types.ServiceVolumeBind](),
	"volume.volume":  reflect.TypeFor[types.ServiceVolumeVolume](),
	"volume.tmpfs":   reflect.TypeFor[types.ServiceVolumeTmpfs](),
	"network":        reflect.TypeFor[types.ServiceNetworkConfig](),
	"deploy":         reflect.TypeFor[types.DeployConfig](),
	"resources":      reflect.TypeFor[types.Resources](),
	"limits":         reflect.TypeFor[types.Resource](),
	"reservations":   reflect.TypeFor[types.Resource](),
	"restart_policy": reflect.TypeFor[types.RestartPolicy](),
	"healthcheck":    reflect.TypeFor[types.HealthCheckConfig](),
	"file":           reflect.TypeFor[types.FileReferenceConfig](),
	"inline":         reflect.TypeFor[types.FileReferenceConfig](),
	"logging":        reflect.TypeFor[types.LoggingConfig](),
	"depends_on":     reflect.TypeFor[types.ServiceDependency](),
	"top.network":    reflect.TypeFor[types.NetworkConfig](),
	"ipam":           reflect.TypeFor[types.IPAMConfig](),
	"ipam.config":    reflect.TypeFor[types.IPAMPool](),
	"top.volume":     reflect.TypeFor[types.VolumeConfig](),
	"top.file":       reflect.TypeFor[types.FileObjectConfig](),
}

// TestEveryFieldAccountedFor sets each field of each struct alone and
// checks that the mapping handles it, or refuses or notes it by name: a
// field compose-go adds in a later version is refused until it is mapped.
func TestEveryFieldAccountedFor(t *testing.T) {
	root := &yaml.Node{Kind: yaml.MappingNode}
	for kind, typ := range kinds {
		if len(handled[kind]) == 0 {
			t.Errorf("%s: no handled list", kind)
		}
		seen := map[string]bool{}
		for _, f := range fieldsOf(typ) {
			v := reflect.New(typ).Elem()
			if !setOne(v.FieldByIndex(f.index), 0) {
				t.Errorf("%s.%s: could not give it a value", kind, f.key)
				continue
			}
			seen[f.key] = true
			p := newProblems(&sources{files: []*source{{name: "t.yaml", root: root}}, main: 1})
			p.unmapped(v.Addr().Interface(), kind, keys("services", "s"))
			said := len(p.errs) > 0 && strings.HasSuffix(p.errs[0].Path, "."+f.key) || len(p.notes) > 0 && strings.Contains(p.notes[0], "."+f.key+" is ignored")
			switch {
			case slices.Contains(handled[kind], f.key) && (len(p.errs) > 0 || len(p.notes) > 0):
				t.Errorf("%s.%s is handled, yet refused: %v %v", kind, f.key, p.err(), p.notes)
			case !slices.Contains(handled[kind], f.key) && !said:
				t.Errorf("%s.%s is neither handled nor refused nor noted: %v %v", kind, f.key, p.err(), p.notes)
			}
		}
		for _, k := range handled[kind] {
			if !seen[k] {
				t.Errorf("%s: handled key %q is not a field of %s", kind, k, typ)
			}
		}
	}
}

type fieldKey struct {
	key   string
	index []int
}

// fieldsOf lists a struct's yaml fields, walking inline ones, as setKeys does.
func fieldsOf(typ reflect.Type) []fieldKey {
	var out []fieldKey
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case !f.IsExported() || name == "-" || strings.HasPrefix(name, "#"):
		case strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct:
			for _, sub := range fieldsOf(f.Type) {
				out = append(out, fieldKey{sub.key, append([]int{i}, sub.index...)})
			}
		case strings.Contains(opts, "inline"):
		case name == "":
			out = append(out, fieldKey{strings.ToLower(f.Name), []int{i}})
		default:
			out = append(out, fieldKey{name, []int{i}})
		}
	}
	return out
}

// setOne gives v a value that isSet reports as set.
func setOne(v reflect.Value, depth int) bool {
	if depth > 6 {
		return false
	}
	switch v.Kind() {
	case reflect.Bool:
		v.SetBool(true)
		if !isSet(v) { // compose-go's OptOut: true is its default
			v.SetBool(false)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	case reflect.String:
		v.SetString("x")
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		setOne(e.Elem(), depth+1)
		v.Set(e)
	case reflect.Slice:
		e := reflect.New(v.Type().Elem()).Elem()
		setOne(e, depth+1)
		v.Set(reflect.Append(reflect.MakeSlice(v.Type(), 0, 1), e))
	case reflect.Map:
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		setOne(k, depth+1)
		setOne(e, depth+1)
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() && setOne(v.Field(i), depth+1) {
				break
			}
		}
	case reflect.Interface:
		v.Set(reflect.ValueOf("x"))
	}
	return isSet(v)
}

func TestIsCompose(t *testing.T) {
	for _, c := range []struct {
		name, data string
		want       bool
	}{
		{"abc.yaml", "services:\n  a: {image: x, calls: [b]}\n  b: {image: x}\n", false},
		{"compose.yaml", "services:\n  a: {image: x, calls: [b]}\n", false}, // a chainctl-only key wins
		{"t.yaml", "network: {name: n}\nservices:\n  a: {image: x}\n", false},
		{"t.yaml", "services:\n  a: {image: x, replicas: 2}\n", false},
		{"t.yaml", "services:\n  a: {image: x, resources: {cpus: 1}}\n", false},
		{"t.yaml", "services:\n  a: {image: x, endpoint_mode: vip}\n", false},
		{"t.yaml", "name: n\nvolumes: {d: {}}\nservices:\n  a: {image: x, ports: ['80'], x-note: 1}\n", false},
		{"docker-compose.yml", "services:\n  a: {image: x}\n", true},
		{"stack.yaml", "networks: {n: {}}\nservices:\n  a: {image: x}\n", true},
		{"stack.yaml", "x-common: &c {image: x}\nservices:\n  a: *c\n", true},
		{"stack.yaml", "services:\n  a: {build: .}\n", true},
		{"stack.yaml", "services:\n  a: {image: x, x-chainctl: {calls: [b]}}\n", true},
		{"stack.yaml", "services:\n  a:\n    <<: {container_name: c}\n    image: x\n", true},
		{"compose.yaml", "services: [unclosed", true},
		{"t.yaml", "services: [unclosed", false},
		{"t.yaml", "- a list\n", false},
	} {
		if got := IsCompose(c.name, []byte(c.data)); got != c.want {
			t.Errorf("IsCompose(%s, %q) = %v, want %v", c.name, c.data, got, c.want)
		}
	}
}
